package org.imagestream.benchmarks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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

    synchronized void record(long producedMillis, long latencyMillis) {
        hops.add(new long[] {producedMillis, latencyMillis});
    }

    synchronized boolean isEmpty() {
        return hops.isEmpty();
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
        measured.sort(Comparator.comparingLong(hop -> hop[0]));
        Histogram histogram = new Histogram(3_600_000L, 3);
        SlowestPerSecond slowest = new SlowestPerSecond(seconds);
        for (long[] hop : measured) {
            long millis = Math.max(0, hop[1]);
            histogram.recordValue(millis);
            slowest.record(hop[0] - fromMillis, millis);
        }
        return String.format(
                Locale.ROOT,
                "%d records, p50 / p99 / max %d / %d / %d ms; slowest per second of produce time"
                        + " (ms): %s",
                histogram.getTotalCount(),
                histogram.getValueAtPercentile(50),
                histogram.getValueAtPercentile(99),
                histogram.getMaxValue(),
                slowest);
    }
}
