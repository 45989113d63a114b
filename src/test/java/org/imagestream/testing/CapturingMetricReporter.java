package org.imagestream.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that keeps, for every metric the job registers, its identifier, every
 * scope variable and its value when registered and when removed (at the end of the job), as text:
 * what any real reporter (Prometheus, JMX) could publish. For tests that search metrics for values
 * that must never be there. Enabled by {@link #configure}; registered as a factory through {@code
 * META-INF/services}.
 */
public final class CapturingMetricReporter implements MetricReporter {
    private static final ConcurrentLinkedQueue<String> CAPTURED = new ConcurrentLinkedQueue<>();

    /** Every counter registered since the last {@link #clear}, by identifier and variables. */
    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    /** Adds this reporter to a MiniCluster configuration. */
    public static void configure(org.apache.flink.configuration.Configuration configuration) {
        configuration.setString("metrics.reporter.capture.factory.class", Factory.class.getName());
    }

    /** Forgets everything captured so far (call before the job under test starts). */
    public static void clear() {
        CAPTURED.clear();
        COUNTERS.clear();
    }

    /**
     * The sum of the current counts of every counter named {@code name} whose identifier contains
     * {@code part} (null for any), over all subtasks; read from the counters themselves, so it
     * holds a finished job's final counts too.
     */
    public static long counterSum(String name, String part) {
        long sum = 0;
        for (Map.Entry<String, Counter> entry : COUNTERS.entrySet()) {
            String identifier = entry.getKey().split("\n", 2)[0];
            if (identifier.endsWith("." + name) && (part == null || identifier.contains(part))) {
                sum += entry.getValue().getCount();
            }
        }
        return sum;
    }

    /** Everything captured so far, one line per registration or removal. */
    public static List<String> captured() {
        return new ArrayList<>(CAPTURED);
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        CAPTURED.add(describe(metric, metricName, group));
        if (metric instanceof Counter counter) {
            COUNTERS.put(
                    group.getMetricIdentifier(metricName) + "\n" + group.getAllVariables(),
                    counter);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        CAPTURED.add(describe(metric, metricName, group));
    }

    private static String describe(Metric metric, String name, MetricGroup group) {
        StringBuilder line = new StringBuilder(group.getMetricIdentifier(name));
        for (Map.Entry<String, String> variable : group.getAllVariables().entrySet()) {
            line.append(' ').append(variable.getKey()).append('=').append(variable.getValue());
        }
        line.append(" value=").append(value(metric));
        return line.toString();
    }

    private static String value(Metric metric) {
        try {
            if (metric instanceof Gauge<?> gauge) {
                return String.valueOf(gauge.getValue());
            } else if (metric instanceof Counter counter) {
                return Long.toString(counter.getCount());
            } else if (metric instanceof Meter meter) {
                return meter.getRate() + "/" + meter.getCount();
            } else if (metric instanceof Histogram histogram) {
                return String.valueOf(histogram.getStatistics().getMax());
            }
        } catch (RuntimeException e) {
            return "<" + e + ">";
        }
        return "";
    }

    /** The factory Flink instantiates from {@code metrics.reporter.capture.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CapturingMetricReporter();
        }
    }
}
