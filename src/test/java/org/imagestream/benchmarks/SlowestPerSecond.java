package org.imagestream.benchmarks;

import java.util.Arrays;

/**
 * The slowest latency per second of produce time over a latency run's measured seconds, which shows
 * whether its tail came in stalls or throughout. Records produced after the last measured second (a
 * producer that fell behind its schedule) share one bucket at the end.
 */
final class SlowestPerSecond {
    private final long[] slowest;

    SlowestPerSecond(int seconds) {
        slowest = new long[seconds + 1];
    }

    /**
     * @param producedAfterMillis when the record was produced, after the first measured one
     * @param latencyMillis its latency (negative clock differences count as 0)
     */
    void record(long producedAfterMillis, long latencyMillis) {
        int bucket = (int) Math.min(slowest.length - 1, Math.max(0, producedAfterMillis / 1000));
        slowest[bucket] = Math.max(slowest[bucket], Math.max(0, latencyMillis));
    }

    /** The seconds in order, the late records' bucket last, e.g. {@code [120, 95, 0]}. */
    @Override
    public String toString() {
        return Arrays.toString(slowest);
    }
}
