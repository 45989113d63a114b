package org.imagestream.benchmarks;

import java.util.Locale;

/**
 * How far a paced producer fell behind its schedule: a latency run's offered rate is only steady if
 * each record went out close to when it was due. A producer that shares its JVM with the job falls
 * behind when the JVM is starved, then sends the backlog at once; its records' latencies count from
 * the actual send, so the run's figures then describe a burst, not the offered rate.
 */
final class ScheduleLag {
    /** A record sent later than this after it was due counts as late. */
    static final long LATE_MILLIS = 100;

    private int records;
    private int late;
    private long maxNanos;

    /** One record, due at {@code dueNanos} and sent at {@code sentNanos} (same clock). */
    void record(long dueNanos, long sentNanos) {
        long lag = Math.max(0, sentNanos - dueNanos);
        records++;
        if (lag > LATE_MILLIS * 1_000_000) {
            late++;
        }
        maxNanos = Math.max(maxNanos, lag);
    }

    int late() {
        return late;
    }

    long maxMillis() {
        return maxNanos / 1_000_000;
    }

    /** The report's sentence about the producer. */
    String describe() {
        if (late == 0) {
            return String.format(
                    Locale.ROOT,
                    "the producer kept its schedule (%d records, at most %d ms behind)",
                    records,
                    maxMillis());
        }
        return String.format(
                Locale.ROOT,
                "WARNING: the producer sent %d of %d measured records more than %d ms behind its"
                        + " schedule (at most %d ms): the offered rate was not steady",
                late,
                records,
                LATE_MILLIS,
                maxMillis());
    }
}
