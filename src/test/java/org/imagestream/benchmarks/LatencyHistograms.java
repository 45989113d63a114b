package org.imagestream.benchmarks;

import org.HdrHistogram.Histogram;

/**
 * The benchmarks' latency histograms (milliseconds up to an hour) and how the report prints them.
 */
final class LatencyHistograms {
    private LatencyHistograms() {}

    /** Empty: milliseconds up to an hour, three significant digits. */
    static Histogram create() {
        return new Histogram(3_600_000L, 3);
    }

    /** "p50 / p99 / max", e.g. {@code "12 / 160 / 374"}; "-" when empty. */
    static String p50p99max(Histogram histogram) {
        return histogram.getTotalCount() == 0
                ? "-"
                : histogram.getValueAtPercentile(50)
                        + " / "
                        + histogram.getValueAtPercentile(99)
                        + " / "
                        + histogram.getMaxValue();
    }
}
