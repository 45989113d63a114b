package org.imagestream.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.imagestream.decode.DecodeException;
import org.imagestream.decode.ImageDecoder;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.PartResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classify stage with micro-batching: images from all shards of this subtask are collected per
 * domain until {@code maxBatchSize} are waiting or no image has arrived for {@code maxBatchDelay},
 * then each domain's model runs once on the whole batch. Batching is the main throughput lever of
 * TF on CPU (FACTS: ~2k img/s at batch 1, 12-17k at batch 32-128 for the small CNN).
 *
 * <p>Batches grow with the backlog: an image is decoded here, which can take longer than the delay,
 * so a delay counted from the oldest image's arrival would flush batches of one exactly when input
 * is queued. Instead the batch is flushed once the input pauses for {@code maxBatchDelay} after the
 * last image was taken in, or when its oldest image has waited {@code maxBatchWait} (the latency
 * bound under backlog), whichever comes first. A lone image waits {@code maxBatchDelay}, as before.
 *
 * <p>Nothing is held across a checkpoint: pending images are classified and emitted in {@link
 * #prepareSnapshotPreBarrier} (before the barrier goes downstream) and at end of input, so the
 * buffer is never state and a restore never loses or repeats an image.
 *
 * <p>Dedup: keyed {@code MapState<sha256, prediction>} with a TTL. Because the stream is keyed by
 * shard and the shard is chosen by content hash, every copy of an image reaches the same key; a
 * copy within the TTL reuses the prediction (row marked {@code deduplicated}, model not run). A
 * copy that arrives while its original is still in the pending batch waits for it instead.
 *
 * <p>Models are loaded once per subtask in {@link #open()} and closed in {@link #close()}. A failed
 * model call is retried, then each image of the batch is classified alone (a poison image must not
 * take its batch with it, and a transient failure must not turn into dead letters that a replay
 * would not produce); only an image that fails alone on every attempt is dead-lettered with reason
 * {@code MODEL_ERROR}.
 *
 * <p>Roll-out: for a domain configured with a model root ({@link ModelDirectory}), a processing
 * time timer lists the root every {@code modelPollInterval}; a newer version is loaded and warmed
 * on a background thread, then swapped in on the task thread after the old model's pending batch is
 * flushed, so every batch runs on exactly one model and every result names it. A version that fails
 * to load, or whose input differs from what the decode stage produces, is rejected (metric {@code
 * modelLoadFailures}, an ERROR log with the cause) and the old model keeps serving.
 */
public class BatchingClassifyOperator extends AbstractStreamOperator<Classification>
        implements OneInputStreamOperator<DecodedImage, Classification>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BatchingClassifyOperator.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("classify-dead-letters") {};

    private final EnumMap<Domain, ModelSpec> specs;
    private final Duration dedupTtl;
    private final int maxBatchSize;
    private final Duration maxBatchDelay;

    /** Model roots watched for new versions (see {@link ModelDirectory}), by domain. */
    private final EnumMap<Domain, String> modelRoots;

    private final Duration modelPollInterval;

    /** Threads per TensorFlow session pool; 0 = TensorFlow's default. */
    private int tensorflowThreads;

    /**
     * The model directories this subtask serves, by "domain=directory", in union operator state: on
     * restore each domain starts at no older a version than any subtask served (see {@link
     * ServingVersions}).
     */
    private transient ListState<String> servingState;

    /** Per domain, the highest version number serving at the restored checkpoint. */
    private transient EnumMap<Domain, Long> servingAtCheckpoint;

    /**
     * When this subtask was restored (0 if it started fresh): records older than this may have been
     * classified by the failed run, possibly by an older model.
     */
    private transient long restoredAtMillis;

    /** The model serving each domain, and its hot roll-outs. */
    private transient ModelRollout models;

    private ImageDecoder decoder;

    private transient MapState<String, CachedPrediction> recentPredictions;
    private transient EnumMap<Domain, List<Pending>> pending;
    private transient int pendingCount;
    private transient boolean timerRegistered;

    /** When the last image was taken into a batch (processing time, after its decode). */
    private transient long lastInputMillis;

    /** When the oldest pending image arrived (processing time). */
    private transient long oldestPendingMillis;

    private Duration maxBatchWait = Duration.ofMillis(100);
    private transient ClassifyMetrics metrics;

    /** One buffered image: the record, its key, and copies that arrived while it waited. */
    private static final class Pending {
        final DecodedImage image;
        final Object key;
        final long enqueuedNanos;
        final List<DecodedImage> copies = new ArrayList<>();

        Pending(DecodedImage image, Object key) {
            this.image = image;
            this.key = key;
            this.enqueuedNanos = System.nanoTime();
        }
    }

    /**
     * @param dedupTtl how long predictions are remembered per content hash; zero disables dedup
     * @param maxBatchSize images per model call at most
     * @param maxBatchDelay longest an image waits for its batch to fill
     */
    public BatchingClassifyOperator(
            Map<Domain, ModelSpec> specs,
            Duration dedupTtl,
            int maxBatchSize,
            Duration maxBatchDelay) {
        this(specs, dedupTtl, maxBatchSize, maxBatchDelay, Map.of(), Duration.ZERO);
    }

    /**
     * @param modelRoots per domain, a model root to watch for newer versions; domains not listed
     *     keep their model until the job restarts
     * @param modelPollInterval how often the roots are listed; zero disables watching
     */
    public BatchingClassifyOperator(
            Map<Domain, ModelSpec> specs,
            Duration dedupTtl,
            int maxBatchSize,
            Duration maxBatchDelay,
            Map<Domain, String> modelRoots,
            Duration modelPollInterval) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be >= 1, got " + maxBatchSize);
        }
        this.specs = new EnumMap<>(specs);
        this.dedupTtl = dedupTtl;
        this.maxBatchSize = maxBatchSize;
        this.maxBatchDelay = maxBatchDelay;
        this.modelRoots =
                modelRoots.isEmpty() ? new EnumMap<>(Domain.class) : new EnumMap<>(modelRoots);
        this.modelPollInterval = modelPollInterval;
    }

    /**
     * Longest the oldest image of a batch waits while input keeps arriving (the batch grows with
     * the backlog until then, or until {@code maxBatchSize}); at least {@code maxBatchDelay}.
     */
    public BatchingClassifyOperator withMaxBatchWait(Duration maxBatchWait) {
        if (maxBatchWait.isNegative()) {
            throw new IllegalArgumentException("max batch wait must be >= 0, got " + maxBatchWait);
        }
        this.maxBatchWait = maxBatchWait;
        return this;
    }

    /**
     * Threads in each TensorFlow session's intra-op and inter-op pools ({@link
     * SavedModelClassifier#open(ModelSpec, int)}): -1 the slot's share of the TaskManager's cores
     * (see {@link #slotShareOfCores}), 0 (the default here) TensorFlow's own, n > 0 that many.
     */
    public BatchingClassifyOperator withTensorflowThreads(int threads) {
        if (threads < -1) {
            throw new IllegalArgumentException("TensorFlow threads must be >= -1, got " + threads);
        }
        this.tensorflowThreads = threads;
        return this;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        servingState =
                context.getOperatorStateStore()
                        .getUnionListState(
                                new ListStateDescriptor<>("serving-model-versions", String.class));
        servingAtCheckpoint = new EnumMap<>(Domain.class);
        restoredAtMillis = context.isRestored() ? System.currentTimeMillis() : 0;
        if (context.isRestored()) {
            for (String entry : servingState.get()) {
                int split = entry.indexOf('=');
                Domain domain = Domain.fromId(entry.substring(0, split));
                ServingVersions.versionOf(entry.substring(split + 1))
                        .ifPresent(
                                version -> servingAtCheckpoint.merge(domain, version, Math::max));
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        servingState.clear();
        for (Map.Entry<Domain, SavedModelClassifier> serving : models.serving().entrySet()) {
            servingState.add(serving.getKey().id() + "=" + serving.getValue().spec().directory());
        }
    }

    /**
     * Decodes prepared images (no pixels yet) here, after the dedup lookup: only original bytes
     * cross the shuffle and a deduplicated copy is never decoded. Without a decoder every input
     * must arrive decoded.
     */
    public BatchingClassifyOperator withDecoder(ImageDecoder decoder) {
        this.decoder = decoder;
        return this;
    }

    /**
     * max(1, cores / slots): each slot's sessions get their share of the TaskManager's cores, so
     * the TensorFlow pools of all slots together do not outnumber the cores.
     */
    static int slotShareOfCores(int cores, int slots) {
        return Math.max(1, cores / Math.max(1, slots));
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (tensorflowThreads < 0) {
            tensorflowThreads =
                    slotShareOfCores(
                            Runtime.getRuntime().availableProcessors(),
                            getContainingTask()
                                    .getEnvironment()
                                    .getTaskManagerInfo()
                                    .getConfiguration()
                                    .get(TaskManagerOptions.NUM_TASK_SLOTS));
            LOG.info("TensorFlow pools of {} threads (the slot's share)", tensorflowThreads);
        }
        var metrics = getRuntimeContext().getMetricGroup();
        models =
                new ModelRollout(
                        specs,
                        modelRoots,
                        servingAtCheckpoint == null ? Map.of() : servingAtCheckpoint,
                        tensorflowThreads,
                        !modelPollInterval.isZero(),
                        metrics.counter("modelSwaps"),
                        metrics.counter("modelLoadFailures"));
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
        pending = new EnumMap<>(Domain.class);
        Counter modelErrors;
        if (decoder != null) {
            // Streamed scenes are copied to the TaskManager's io.tmp.dirs while decoded.
            String[] tmp =
                    getContainingTask().getEnvironment().getTaskManagerInfo().getTmpDirectories();
            decoder.open(
                    metrics,
                    java.nio.file.Path.of(
                            tmp.length > 0 ? tmp[0] : System.getProperty("java.io.tmpdir")),
                    "MODEL_ERROR");
            // Same metric and label as the decode dead letters, so one query sums them all.
            modelErrors = decoder.deadLetteredCounter("MODEL_ERROR");
        } else {
            modelErrors = metrics.addGroup("reason", "MODEL_ERROR").counter("imagesDeadLettered");
        }
        this.metrics = new ClassifyMetrics(metrics, modelErrors);
        if (models.watching()) {
            scheduleModelPoll();
        }
    }

    private void scheduleModelPoll() {
        long due =
                getProcessingTimeService().getCurrentProcessingTime()
                        + modelPollInterval.toMillis();
        getProcessingTimeService()
                .registerTimer(
                        due,
                        timestamp -> {
                            pollModels();
                            scheduleModelPoll();
                        });
    }

    /** Runs on the task thread: finishes or starts a roll-out ({@link ModelRollout#poll}). */
    void pollModels() throws Exception {
        models.poll(this::flush);
    }

    /** Test hook: waits for a background model load to finish (the next poll applies it). */
    void awaitModelLoad() throws Exception {
        models.awaitLoad();
    }

    /** Test hook: the model now serving a domain. */
    ModelSpec servingModel(Domain domain) {
        return models.classifier(domain).spec();
    }

    @Override
    public void processElement(StreamRecord<DecodedImage> element) throws Exception {
        long arrivedMillis = getProcessingTimeService().getCurrentProcessingTime();
        DecodedImage image = element.getValue();
        Domain domain = Domain.fromId(image.record.domain);
        SavedModelClassifier classifier = models.classifier(domain);
        boolean decoded = image.pixels != null;
        // Dedup first: a copy of a known image is answered from the cache, never decoded (the
        // cache keeps what decoding told about it: size, parts, extras).
        if (recentPredictions != null) {
            CachedPrediction cached = recentPredictions.get(image.contentSha256);
            if (cached != null
                    && cached.madeBy(classifier.spec())
                    && (decoded
                            ? cached.partLabels.size() == (image.parts > 1 ? image.parts : 0)
                            : cached.describesImage(classifier.spec()))) {
                if (!decoded) {
                    cached.describe(image);
                }
                emit(
                        image,
                        classifier.spec(),
                        cached.toPrediction(),
                        cached.toPartPredictions(),
                        true);
                return;
            }
        }
        List<Pending> queue = pending.computeIfAbsent(domain, d -> new ArrayList<>());
        if (recentPredictions != null) {
            for (Pending waiting : queue) {
                if (waiting.image.contentSha256.equals(image.contentSha256)) {
                    waiting.copies.add(image); // classified once, with its original
                    return;
                }
            }
        }
        if (!decoded) {
            // A tiled scene is classified group by group as its tiles are read (never held
            // whole); any other image is decoded into its pixels and waits for its batch.
            PartsAsRead parts = new PartsAsRead(classifier, maxBatchSize, metrics);
            try {
                decoder.decodeInto(image, parts);
            } catch (DecodeException e) {
                output.collect(DEAD_LETTERS, new StreamRecord<>(decoder.reject(image, e)));
                return;
            }
            if (image.pixels == null) {
                if (parts.failure() != null) {
                    LOG.warn(
                            "The model failed {} times on tiles of a {} scene ({})",
                            IMAGE_ATTEMPTS,
                            domain.id(),
                            parts.failure().toString());
                    deadLetter(image, parts.failure());
                } else {
                    complete(image, List.of(), classifier.spec(), parts.predictions());
                }
                return;
            }
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (pendingCount == 0) {
            oldestPendingMillis = arrivedMillis;
        }
        queue.add(new Pending(image, getCurrentKey()));
        pendingCount++;
        lastInputMillis = now;
        if (modelInputs(queue) >= maxBatchSize) {
            flush(domain);
        } else if (!timerRegistered) {
            armBatchTimer(now + Math.max(1, maxBatchDelay.toMillis()));
        }
    }

    private void armBatchTimer(long due) {
        timerRegistered = true;
        getProcessingTimeService().registerTimer(due, this::onBatchTimer);
    }

    /**
     * Flushes unless input is still arriving back to back (an image was taken in within the delay)
     * and the oldest image can still wait: then the batch grows and the timer moves on.
     */
    private void onBatchTimer(long timestamp) throws Exception {
        timerRegistered = false;
        if (pendingCount == 0) {
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        long delay = Math.max(1, maxBatchDelay.toMillis());
        long latest = oldestPendingMillis + Math.max(delay, maxBatchWait.toMillis());
        if (now - lastInputMillis < delay && now < latest) {
            armBatchTimer(Math.min(lastInputMillis + delay, latest));
        } else {
            flushAll();
        }
    }

    /** Model inputs waiting: one per image, or its parts (tiles, frames). */
    private static int modelInputs(List<Pending> queue) {
        int inputs = 0;
        for (Pending item : queue) {
            inputs += item.image.parts;
        }
        return inputs;
    }

    /** Classifies everything pending; called by the timer, before barriers and at the end. */
    private void flushAll() throws Exception {
        for (Domain domain : Domain.values()) {
            flush(domain);
        }
    }

    private void flush(Domain domain) throws Exception {
        List<Pending> batch = pending.remove(domain);
        if (batch == null || batch.isEmpty()) {
            return;
        }
        pendingCount -= batch.size();
        SavedModelClassifier classifier = models.classifier(domain);
        long now = System.nanoTime();
        List<float[]> inputs = new ArrayList<>(batch.size());
        for (Pending item : batch) {
            inputs.add(item.image.pixels);
            metrics.queueWait(TimeUnit.NANOSECONDS.toMillis(now - item.enqueuedNanos));
        }
        RuntimeException[] failure = new RuntimeException[1];
        List<Prediction> predictions = classify(classifier, inputs, BATCH_ATTEMPTS, failure);
        if (predictions == null) {
            LOG.warn(
                    "A batch of {} {} images failed {} times ({}); classifying each alone",
                    batch.size(),
                    domain.id(),
                    BATCH_ATTEMPTS,
                    failure[0].toString());
            List<Pending> classifiable = new ArrayList<>(batch.size());
            predictions = new ArrayList<>();
            for (Pending item : batch) {
                List<Prediction> alone =
                        classify(classifier, List.of(item.image.pixels), IMAGE_ATTEMPTS, failure);
                if (alone == null) {
                    RuntimeException error = failure[0];
                    deadLetter(item.image, error);
                    item.copies.forEach(copy -> deadLetter(copy, error));
                } else {
                    classifiable.add(item);
                    predictions.addAll(alone);
                }
            }
            batch = classifiable;
        }
        metrics.modelCall(
                predictions.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - now));
        Object currentKey = getCurrentKey();
        ModelSpec spec = classifier.spec();
        try {
            int row = 0;
            for (Pending item : batch) {
                int parts = item.image.parts;
                // State belongs to the image's own key, not to the record being processed.
                setCurrentKey(item.key);
                complete(item.image, item.copies, spec, predictions.subList(row, row + parts));
                row += parts;
            }
        } finally {
            if (currentKey != null) {
                setCurrentKey(currentKey);
            }
        }
    }

    /**
     * Emits a classified image's result and its waiting copies', and remembers the prediction under
     * the current key (the image's).
     *
     * @param predictions one per model input: one, or one per part
     */
    private void complete(
            DecodedImage image,
            List<DecodedImage> copies,
            ModelSpec spec,
            List<Prediction> predictions) {
        List<Prediction> parts = List.of();
        Prediction prediction;
        if (image.parts > 1) {
            parts = predictions;
            prediction = Prediction.shareOfTopLabels(parts, spec.labels());
        } else {
            prediction = predictions.get(0);
        }
        if (recentPredictions != null) {
            try {
                recentPredictions.put(
                        image.contentSha256, CachedPrediction.of(spec, prediction, parts, image));
            } catch (Exception e) {
                throw new IllegalStateException("cannot remember a prediction", e);
            }
        }
        emit(image, spec, prediction, parts, false);
        for (DecodedImage copy : copies) {
            if (copy.pixels == null) {
                describeAs(copy, image);
            }
            emit(copy, spec, prediction, parts, true);
        }
    }

    /** What decoding told about an image, copied to an undecoded copy of the same bytes. */
    private static void describeAs(DecodedImage copy, DecodedImage original) {
        copy.originalWidth = original.originalWidth;
        copy.originalHeight = original.originalHeight;
        copy.parts = original.parts;
        copy.extras = original.extras;
        copy.partExtras = original.partExtras;
    }

    /** Attempts at a whole batch before its images are classified one by one. */
    static final int BATCH_ATTEMPTS = 2;

    /** Attempts at one image alone before it is dead-lettered as {@code MODEL_ERROR}. */
    static final int IMAGE_ATTEMPTS = 3;

    /**
     * The model's predictions, or null after {@code attempts} failures, the last in {@code
     * failure[0]}.
     */
    static List<Prediction> classify(
            SavedModelClassifier classifier,
            List<float[]> inputs,
            int attempts,
            RuntimeException[] failure) {
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return classifier.classify(inputs);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }
        return null;
    }

    private void emit(
            DecodedImage image,
            ModelSpec spec,
            Prediction prediction,
            List<Prediction> parts,
            boolean reused) {
        Classification result = toClassification(image, spec, prediction, parts);
        result.deduplicated = reused;
        result.mayBeReplay =
                restoredAtMillis > 0 && image.record.kafkaTimestamp <= restoredAtMillis;
        output.collect(new StreamRecord<>(result));
        metrics.resultEmitted(result.domain, result.topLabel(), reused);
    }

    private void deadLetter(DecodedImage image, RuntimeException error) {
        metrics.modelError();
        output.collect(
                DEAD_LETTERS,
                new StreamRecord<>(
                        DeadLetter.of(
                                image.record,
                                "classify",
                                "MODEL_ERROR",
                                String.valueOf(error.getMessage()))));
    }

    static Classification toClassification(
            DecodedImage image, ModelSpec spec, Prediction prediction, List<Prediction> parts) {
        Classification result = new Classification();
        result.imageId = image.record.imageId;
        result.domain = image.record.domain;
        result.sourceId = image.record.sourceId;
        result.contentType = image.record.contentType;
        result.contentSha256 = image.contentSha256;
        result.shard = image.shard;
        result.modelName = spec.name();
        result.modelVersion = spec.version();
        result.labels = new ArrayList<>(prediction.labels());
        result.scores = new ArrayList<>(prediction.scores());
        result.width = image.originalWidth;
        result.height = image.originalHeight;
        result.receivedAtMillis = image.record.kafkaTimestamp;
        result.classifiedAtMillis = System.currentTimeMillis();
        result.bytes = image.record.bytes;
        result.streamedLocation = image.record.streamedLocation;
        result.streamedSize = image.record.streamedSize;
        result.extras = image.extras;
        if (!parts.isEmpty()) {
            result.extras = new HashMap<>(image.extras);
            result.extras.put("parts", Integer.toString(parts.size()));
            result.extras.put("scores", "share of parts by top label");
            for (int i = 0; i < parts.size(); i++) {
                Prediction part = parts.get(i);
                result.parts.add(
                        new PartResult(i, part.labels(), part.scores(), image.partExtras.get(i)));
            }
        }
        return result;
    }

    /** Pending images are emitted before the barrier: a checkpoint never contains a buffer. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flushAll();
    }

    @Override
    public void endInput() throws Exception {
        flushAll();
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (decoder != null) {
                decoder.close();
            }
            if (models != null) {
                models.close();
            }
        }
    }

    /** Test hook: images waiting for their batch. */
    int pendingCount() {
        return pendingCount;
    }
}
