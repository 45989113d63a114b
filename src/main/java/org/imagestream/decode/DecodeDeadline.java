package org.imagestream.decode;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageReader;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The time budget of one image's decode ({@code limits.decode-time-budget}), counted in CPU time of
 * the decoding thread, not wall-clock time: a replay under catch-up load, with the thread waiting
 * for a core half of the time, must reach the same verdict as the first run, or one input could end
 * as a stored row and, on replay, a dead letter. Image readers are aborted when it runs out ({@link
 * ImageReader#abort()}: the JDK and TwelveMonkeys readers check for it between rows, tiles and
 * strips), and the decoders check it between their own stages (tiles, frames), so one pathological
 * file cannot hold its partition for long. Where the JVM cannot measure thread CPU time, wall-clock
 * time is used instead.
 */
final class DecodeDeadline {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static final boolean CPU_TIME =
            THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();

    /** How often a running read's CPU time is sampled: the abort comes at most this much late. */
    private static final long POLL_MILLIS = 20;

    /** One daemon thread per JVM samples every running read; the work per sample is one syscall. */
    private static final ScheduledExecutorService TIMER =
            Executors.newSingleThreadScheduledExecutor(
                    runnable -> {
                        Thread thread = new Thread(runnable, "decode-deadline");
                        thread.setDaemon(true);
                        return thread;
                    });

    private final long threadId = Thread.currentThread().getId();

    /** Moved on by {@link #excluding}; read by the timer thread while a read runs. */
    private volatile long startNanos = now(threadId);

    private final long budgetMillis;

    DecodeDeadline(long budgetMillis) {
        this.budgetMillis = budgetMillis;
    }

    /**
     * CPU time of a thread (or wall-clock time where the JVM cannot measure it), in nanoseconds.
     */
    private static long now(long threadId) {
        if (CPU_TIME) {
            long cpu = THREADS.getThreadCpuTime(threadId);
            if (cpu >= 0) {
                return cpu;
            }
        }
        return System.nanoTime();
    }

    private boolean spent() {
        return now(threadId) - startNanos >= TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    }

    /** Throws {@code TOO_SLOW} when the budget is spent. */
    void check(String what) throws DecodeException {
        if (spent()) {
            throw exceeded(what);
        }
    }

    DecodeException exceeded(String what) {
        return new DecodeException(
                Reason.TOO_SLOW,
                what
                        + " took more than the decode budget of "
                        + budgetMillis
                        + " ms of CPU time (limits.decode-time-budget)");
    }

    /** Runs work that is not the decode's (a model call on decoded parts) outside the budget. */
    void excluding(Runnable work) {
        long before = now(threadId);
        try {
            work.run();
        } finally {
            startNanos += now(threadId) - before;
        }
    }

    /** Runs a read that the deadline aborts; throws {@code TOO_SLOW} if it did. */
    <T> T read(ImageReader reader, String what, ReaderCall<T> call)
            throws java.io.IOException, DecodeException {
        check(what);
        AtomicBoolean aborted = new AtomicBoolean();
        ScheduledFuture<?> abort =
                TIMER.scheduleAtFixedRate(
                        () -> {
                            if (!aborted.get() && spent()) {
                                aborted.set(true);
                                reader.abort();
                            }
                        },
                        POLL_MILLIS,
                        POLL_MILLIS,
                        TimeUnit.MILLISECONDS);
        T result;
        try {
            result = call.read();
        } catch (java.io.IOException | RuntimeException e) {
            if (aborted.get()) {
                throw exceeded(what); // an aborted reader may fail instead of returning early
            }
            throw e;
        } finally {
            abort.cancel(false);
        }
        if (aborted.get()) {
            throw exceeded(what);
        }
        return result;
    }

    @FunctionalInterface
    interface ReaderCall<T> {
        T read() throws java.io.IOException;
    }
}
