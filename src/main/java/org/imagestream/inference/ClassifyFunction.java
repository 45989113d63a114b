package org.imagestream.inference;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;

/**
 * The classify stage: runs each domain's SavedModel on decoded images keyed by shard. Models are
 * loaded once per subtask in {@link #open} and released in {@link #close}. An image whose model
 * call fails goes to {@link #DEAD_LETTERS} with reason {@code MODEL_ERROR}; the job keeps running.
 */
public class ClassifyFunction extends KeyedProcessFunction<String, DecodedImage, Classification> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("classify-dead-letters") {};

    private final EnumMap<Domain, ModelSpec> specs;

    private transient EnumMap<Domain, SavedModelClassifier> classifiers;
    private transient Counter classified;
    private transient Counter failed;

    public ClassifyFunction(Map<Domain, ModelSpec> specs) {
        this.specs = new EnumMap<>(specs);
    }

    @Override
    public void open(OpenContext openContext) {
        classifiers = new EnumMap<>(Domain.class);
        try {
            for (Map.Entry<Domain, ModelSpec> entry : specs.entrySet()) {
                classifiers.put(entry.getKey(), SavedModelClassifier.open(entry.getValue()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        classified = getRuntimeContext().getMetricGroup().counter("imagesClassified");
        failed = getRuntimeContext().getMetricGroup().counter("inferenceFailures");
    }

    @Override
    public void processElement(DecodedImage image, Context context, Collector<Classification> out) {
        Domain domain = Domain.fromId(image.record.domain);
        SavedModelClassifier classifier = classifiers.get(domain);
        Prediction prediction;
        try {
            prediction = classifier.classify(List.of(image.pixels)).get(0);
        } catch (RuntimeException e) {
            failed.inc();
            context.output(
                    DEAD_LETTERS,
                    DeadLetter.of(
                            image.record,
                            "classify",
                            "MODEL_ERROR",
                            String.valueOf(e.getMessage())));
            return;
        }
        out.collect(toClassification(image, classifier.spec(), prediction));
        classified.inc();
    }

    static Classification toClassification(
            DecodedImage image, ModelSpec spec, Prediction prediction) {
        Classification result = new Classification();
        result.imageId = image.record.imageId;
        result.domain = image.record.domain;
        result.sourceId = image.record.sourceId;
        result.contentType = image.record.contentType;
        result.contentSha256 = image.contentSha256;
        result.shard = image.shard;
        result.modelName = spec.name();
        result.modelVersion = spec.version();
        result.labels = new java.util.ArrayList<>(prediction.labels());
        result.scores = new java.util.ArrayList<>(prediction.scores());
        result.width = image.originalWidth;
        result.height = image.originalHeight;
        result.receivedAtMillis = image.record.kafkaTimestamp;
        result.classifiedAtMillis = System.currentTimeMillis();
        result.bytes = image.record.bytes;
        return result;
    }

    @Override
    public void close() {
        if (classifiers != null) {
            classifiers.values().forEach(SavedModelClassifier::close);
            classifiers.clear();
        }
    }
}
