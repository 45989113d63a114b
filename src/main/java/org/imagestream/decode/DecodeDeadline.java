package org.imagestream.decode;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageReader;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The time budget of one image's decode ({@code limits.decode-time-budget}). Image readers are
 * aborted when it runs out ({@link ImageReader#abort()}: the JDK and TwelveMonkeys readers check
 * for it between rows, tiles and strips), and the decoders check it between their own stages
 * (tiles, frames), so one pathological file cannot hold its partition for long.
 */
final class DecodeDeadline {
    /** One daemon thread per JVM fires every reader abort; the work per abort is a flag write. */
    private static final ScheduledExecutorService TIMER =
            Executors.newSingleThreadScheduledExecutor(
                    runnable -> {
                        Thread thread = new Thread(runnable, "decode-deadline");
                        thread.setDaemon(true);
                        return thread;
                    });

    private final long deadlineNanos;
    private final long budgetMillis;

    DecodeDeadline(long budgetMillis) {
        this.budgetMillis = budgetMillis;
        this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    }

    /** Throws {@code TOO_SLOW} when the budget is spent. */
    void check(String what) throws DecodeException {
        if (System.nanoTime() - deadlineNanos >= 0) {
            throw exceeded(what);
        }
    }

    DecodeException exceeded(String what) {
        return new DecodeException(
                Reason.TOO_SLOW,
                what
                        + " took longer than the decode time budget of "
                        + budgetMillis
                        + " ms (limits.decode-time-budget)");
    }

    /** Runs a read that the deadline aborts; throws {@code TOO_SLOW} if it did. */
    <T> T read(ImageReader reader, String what, ReaderCall<T> call)
            throws java.io.IOException, DecodeException {
        check(what);
        AtomicBoolean aborted = new AtomicBoolean();
        ScheduledFuture<?> abort =
                TIMER.schedule(
                        () -> {
                            aborted.set(true);
                            reader.abort();
                        },
                        Math.max(0, deadlineNanos - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
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
