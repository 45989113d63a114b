package org.imagestream.benchmarks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * How long records took to reach one point after they were produced (a broker's acknowledgement, a
 * reader's poll), noted from any thread as they get there and read once the run is over: count, p50
 * / p99 / max, and the slowest per second of produce time, on the clock of the latency runs'
 * produce-to-row figures.
 */
final class Hops {
    // {produce timestamp millis, milliseconds from it to the point}
    private final List<long[]> hops = new ArrayList<>();
    private long failed;

    synchronized void record(long producedMillis, long latencyMillis) {
        hops.add(new long[] {producedMillis, latencyMillis});
    }

    /** A record that will never get there (its send failed); the description counts them. */
    synchronized void recordFailure() {
        failed++;
    }

    /**
     * The smallest hop of the records produced in each millisecond, by that millisecond: records
     * are told apart here only by their produce time, so where several share one, the quickest
     * stands for all.
     */
    synchronized Map<Long, Long> smallestByProduceMillis() {
        Map<Long, Long> smallest = new HashMap<>();
        for (long[] hop : hops) {
            smallest.merge(hop[0], hop[1], Math::min);
        }
        return smallest;
    }

    /**
     * The hops of the records produced from {@code fromMillis} on, over {@code seconds} (later ones
     * in a last bucket), e.g. {@code "3405 records, p50 / p99 / max 2 / 31 / 88 ms; slowest per
     * second of produce time (ms): [12, ...]"}.
     */
    synchronized String describe(long fromMillis, int seconds) {
        List<long[]> measured = new ArrayList<>();
        for (long[] hop : hops) {
            if (hop[0] >= fromMillis) {
                measured.add(hop);
            }
        }
        if (measured.isEmpty()) {
            return "no records produced from then on got there";
        }
        Histogram histogram = LatencyHistograms.create();
        SlowestPerSecond slowest = new SlowestPerSecond(seconds);
        for (long[] hop : measured) {
            long millis = Math.max(0, hop[1]);
            histogram.recordValue(millis);
            slowest.record(hop[0] - fromMillis, millis);
        }
        return histogram.getTotalCount()
                + " records, p50 / p99 / max "
                + LatencyHistograms.p50p99max(histogram)
                + " ms; slowest per second of produce time (ms): "
                + slowest
                + (failed == 0 ? "" : "; " + failed + " records (all of the run) never got there");
    }
}
