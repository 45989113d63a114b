package org.imagestream.inference;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
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
 *
 * <p>Dedup: keyed state maps content SHA-256 to the prediction made for it (with a TTL). Because
 * the ring routes by content hash, every copy of an image reaches the same key, so a repeat reuses
 * the earlier prediction instead of running the model; it still gets its own result row, marked
 * {@code deduplicated}, pointing at the same blob.
 */
public class ClassifyFunction extends KeyedProcessFunction<String, DecodedImage, Classification> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("classify-dead-letters") {};

    private final EnumMap<Domain, ModelSpec> specs;
    private final Duration dedupTtl;

    private transient EnumMap<Domain, SavedModelClassifier> classifiers;
    private transient MapState<String, CachedPrediction> recentPredictions;
    private transient Counter classified;
    private transient Counter deduplicated;
    private transient Counter failed;

    /**
     * @param dedupTtl how long predictions are remembered per content hash; zero disables dedup
     */
    public ClassifyFunction(Map<Domain, ModelSpec> specs, Duration dedupTtl) {
        this.specs = new EnumMap<>(specs);
        this.dedupTtl = dedupTtl;
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
        if (!dedupTtl.isZero()) {
            MapStateDescriptor<String, CachedPrediction> descriptor =
                    new MapStateDescriptor<>(
                            "recent-predictions", String.class, CachedPrediction.class);
            descriptor.enableTimeToLive(
                    StateTtlConfig.newBuilder(dedupTtl)
                            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                            .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                            .build());
            recentPredictions = getRuntimeContext().getMapState(descriptor);
        }
        classified = getRuntimeContext().getMetricGroup().counter("imagesClassified");
        deduplicated = getRuntimeContext().getMetricGroup().counter("imagesDeduplicated");
        failed = getRuntimeContext().getMetricGroup().counter("inferenceFailures");
    }

    @Override
    public void processElement(DecodedImage image, Context context, Collector<Classification> out)
            throws Exception {
        Domain domain = Domain.fromId(image.record.domain);
        SavedModelClassifier classifier = classifiers.get(domain);
        if (recentPredictions != null) {
            CachedPrediction cached = recentPredictions.get(image.contentSha256);
            if (cached != null && cached.madeBy(classifier.spec())) {
                Classification result =
                        toClassification(image, classifier.spec(), cached.toPrediction());
                result.deduplicated = true;
                out.collect(result);
                deduplicated.inc();
                return;
            }
        }
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
        if (recentPredictions != null) {
            recentPredictions.put(
                    image.contentSha256, CachedPrediction.of(classifier.spec(), prediction));
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
