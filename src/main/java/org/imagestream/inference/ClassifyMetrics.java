package org.imagestream.inference;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.imagestream.model.Domain;

/**
 * The classify stage's metrics: results (classified or deduplicated, in all and per domain), top
 * labels per domain, model errors, batch sizes and the time images wait for and spend in the model.
 * Registered once per subtask in the operator's {@code open()}.
 */
final class ClassifyMetrics {
    private final MetricGroup group;
    private final Counter classified;
    private final Counter deduplicated;

    /** Per domain id: [classified, deduplicated], under metric group {@code domain=<id>}. */
    private final Map<String, Counter[]> byDomain = new HashMap<>();

    /** Domain id, then top label: counters looked up per result without building a key. */
    private final Map<String, Map<String, Counter>> byTopLabel = new HashMap<>();

    private final Counter failed;
    private final Counter modelErrors;
    private final Histogram batchSize;
    private final Histogram queueWaitMillis;
    private final Histogram inferenceMillis;

    /**
     * @param modelErrors the {@code imagesDeadLettered} counter of reason {@code MODEL_ERROR}
     *     (registered with the decode dead letters, so one query sums them all)
     */
    ClassifyMetrics(MetricGroup group, Counter modelErrors) {
        this.group = group;
        this.modelErrors = modelErrors;
        classified = group.counter("imagesClassified");
        deduplicated = group.counter("imagesDeduplicated");
        for (Domain domain : Domain.values()) {
            MetricGroup domainGroup = group.addGroup("domain", domain.id());
            byDomain.put(
                    domain.id(),
                    new Counter[] {
                        domainGroup.counter("imagesClassified"),
                        domainGroup.counter("imagesDeduplicated")
                    });
        }
        failed = group.counter("inferenceFailures");
        batchSize = group.histogram("inferenceBatchSize", new DescriptiveStatisticsHistogram(1024));
        queueWaitMillis =
                group.histogram("batchQueueWaitMs", new DescriptiveStatisticsHistogram(1024));
        inferenceMillis =
                group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(1024));
    }

    /** A result was emitted: classified by the model now, or reused from an earlier one. */
    void resultEmitted(String domain, String topLabel, boolean reused) {
        topLabelCounter(domain, topLabel).inc();
        if (reused) {
            deduplicated.inc();
            byDomain.get(domain)[1].inc();
        } else {
            classified.inc();
            byDomain.get(domain)[0].inc();
        }
    }

    /** An image was dead-lettered because the model failed on it alone. */
    void modelError() {
        failed.inc();
        modelErrors.inc();
    }

    /** One model call: the inputs it took and how long it ran. */
    void modelCall(int inputs, long millis) {
        batchSize.update(inputs);
        inferenceMillis.update(millis);
    }

    /** How long an image waited in its batch before the model call. */
    void queueWait(long millis) {
        queueWaitMillis.update(millis);
    }

    /**
     * Results per (domain, top label), for the label-distribution dashboard. Registered on first
     * use; bounded by the models' label lists, so the number of series stays small.
     */
    private Counter topLabelCounter(String domain, String label) {
        Map<String, Counter> byLabel = byTopLabel.computeIfAbsent(domain, d -> new HashMap<>());
        Counter counter = byLabel.get(label);
        if (counter == null) {
            counter =
                    group.addGroup("domain", domain)
                            .addGroup("label", label)
                            .counter("imagesByTopLabel");
            byLabel.put(label, counter);
        }
        return counter;
    }
}
