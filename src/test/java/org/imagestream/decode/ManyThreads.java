package org.imagestream.decode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Several threads checking the same inputs at once, as the slots of one TaskManager decode. */
final class ManyThreads {
    /** One check of input {@code index}; throws (an assertion) when it fails. */
    @FunctionalInterface
    interface Check {
        void run(int index) throws Exception;
    }

    private ManyThreads() {}

    /**
     * Runs {@code check} on every input index from each of {@code threads} threads, {@code rounds}
     * times, in an order shuffled per thread and round; the first failure is rethrown.
     */
    static void check(int threads, int rounds, int inputs, long timeoutMinutes, Check check)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < inputs; i++) {
                    order.add(i);
                }
                Random random = new Random(t);
                runs.add(
                        pool.submit(
                                () -> {
                                    for (int round = 0; round < rounds; round++) {
                                        Collections.shuffle(order, random);
                                        for (int i : order) {
                                            check.run(i);
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<?> run : runs) {
                run.get(timeoutMinutes, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
