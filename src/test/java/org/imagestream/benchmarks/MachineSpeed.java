package org.imagestream.benchmarks;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How fast this machine computes when an arm starts: SHA-256 over one buffer, on every core at
 * once, for a fixed time. The benchmark's machine is a shared 2-core VM on which one command's
 * pre-loaded rate moved by a third between runs of one session (docs/benchmarks.md, session 33),
 * and no process of the benchmark showed why; this probe, taken on the quiet machine before an
 * arm's job starts, lets a report say how fast the machine computed then. A compute-bound loop (on
 * this CPU SHA-256 runs on instructions of its own, not the vector units inference uses): it sees a
 * slower clock or a neighbour on the same core, not memory or disk contention.
 */
final class MachineSpeed {
    private static final int BUFFER_BYTES = 64 * 1024;

    /** How long a probe hashes, after a quarter of that to compile the loop. */
    private static final long PROBE_MILLIS = 1000;

    private MachineSpeed() {}

    /**
     * MB/s each thread hashed, {@code threads} at once for {@code millis} after a short warm-up.
     */
    static double[] sha256PerThread(int threads, long millis) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            hashFor(pool, threads, Math.max(50, millis / 4)); // the loop compiled first
            return hashFor(pool, threads, millis);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double[] hashFor(ExecutorService pool, int threads, long millis)
            throws Exception {
        // All threads start together, so each one's time is the others' too.
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Double>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            results.add(pool.submit(hashing(start, millis)));
        }
        start.countDown();
        double[] perThread = new double[threads];
        for (int i = 0; i < threads; i++) {
            perThread[i] = results.get(i).get();
        }
        return perThread;
    }

    private static Callable<Double> hashing(CountDownLatch start, long millis)
            throws NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[BUFFER_BYTES];
        return () -> {
            start.await();
            long started = System.nanoTime();
            long until = started + millis * 1_000_000;
            long bytes = 0;
            long now;
            do {
                digest.update(buffer);
                bytes += buffer.length;
                now = System.nanoTime();
            } while (now < until);
            digest.digest();
            return bytes / 1e6 / ((now - started) / 1e9);
        };
    }

    /** The report line: each thread's MB/s and their sum. */
    static String reportLine(String arm, double[] perThread) {
        StringBuilder each = new StringBuilder();
        double sum = 0;
        for (double rate : perThread) {
            each.append(each.length() == 0 ? "" : " + ")
                    .append(String.format(Locale.ROOT, "%.0f", rate));
            sum += rate;
        }
        return String.format(
                Locale.ROOT,
                "- %s: machine speed before it started, SHA-256 on %d threads at once: %s = %.0f MB/s\n",
                arm,
                perThread.length,
                each,
                sum);
    }

    /** Measures and returns the report line (also printed). */
    static String probe(String arm, int threads) throws Exception {
        String line = reportLine(arm, sha256PerThread(threads, PROBE_MILLIS));
        System.out.print(line);
        return line;
    }
}
