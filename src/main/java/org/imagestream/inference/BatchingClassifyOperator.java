package org.imagestream.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classify stage: one keyed operator that looks up dedup first, then decodes, batches and
 * classifies. Images from all shards of this subtask are collected per domain into micro-batches
 * ({@link MicroBatches}: full at {@code maxBatchSize} inputs or {@code maxBatchBytes} of them, or
 * flushed on a pause in input or when the oldest has waited {@code maxBatchWait}; an image that
 * finds the operator idle and nothing waiting is classified at once) and each domain's model runs
 * once per batch; batching is the main throughput lever of TF on CPU (FACTS: ~2k img/s at batch 1,
 * 12-17k at batch 32-128 for the small CNN). A tiled scene is classified group by group while its
 * tiles are read ({@link PartsAsRead}), never buffered: its model calls run inside {@code
 * processElement}, so the batch timer and a barrier wait for the whole scene, and each group gets
 * the attempts of one image alone. A failing model is retried and then asked image by image ({@link
 * ModelCalls}); only an image that fails alone is dead-lettered as {@code MODEL_ERROR}.
 *
 * <p>Nothing is held across a checkpoint: pending images are classified and emitted in {@link
 * #prepareSnapshotPreBarrier} (before the barrier goes downstream) and at end of input, so the
 * buffer is never state and a restore never loses or repeats an image.
 *
 * <p>Dedup ({@link DedupCache}): keyed state, one prediction per content hash, with a TTL. Because
 * the stream is keyed by shard and the shard is chosen by content hash, every copy of an image
 * reaches the same key; a copy within the TTL reuses the prediction (row marked {@code
 * deduplicated}, neither decoded nor classified). A copy that arrives while its original is still
 * in the pending batch waits for it.
 *
 * <p>Models are loaded once per subtask in {@link #open()} and closed in {@link #close()}. Roll-out
 * ({@link ModelRollout}): for a domain configured with a model root ({@link ModelDirectory}), a
 * processing-time timer lists the root every {@code modelPollInterval}; a newer version is loaded
 * and warmed on a background thread, then swapped in on the task thread after the old model's
 * pending batch is flushed, so every batch runs on exactly one model and every result names it. The
 * versions serving at a checkpoint are operator state ({@link ServingVersions}).
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

    private transient DedupCache recentPredictions;
    private transient MicroBatches batches;
    private transient boolean timerRegistered;
    private Duration maxBatchWait = Duration.ofMillis(100);
    private long maxBatchBytes = Long.MAX_VALUE;
    private transient ClassifyMetrics metrics;
    private transient ClassifyOutput results;

    /**
     * @param dedupTtl how long predictions are remembered per content hash; zero disables dedup
     * @param maxBatchSize images per model call at most
     * @param maxBatchDelay the pause in input that flushes a batch (and the idle time after which a
     *     lone image is classified at once)
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
     * Heap the model inputs of one domain's batch take when it is full (4 bytes a value); a batch
     * is full at {@code maxBatchSize} inputs or once its inputs take this much, whichever comes
     * first (it takes the image that crosses it), and a tiled scene's groups stay within it.
     * Unbounded unless set.
     */
    public BatchingClassifyOperator withMaxBatchBytes(long maxBatchBytes) {
        if (maxBatchBytes < 1) {
            throw new IllegalArgumentException(
                    "max batch bytes must be >= 1, got " + maxBatchBytes);
        }
        this.maxBatchBytes = maxBatchBytes;
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
        restoredAtMillis = context.isRestored() ? System.currentTimeMillis() : 0;
        servingAtCheckpoint =
                context.isRestored()
                        ? ServingVersions.restore(servingState.get())
                        : new EnumMap<>(Domain.class);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        servingState.update(ServingVersions.entries(models.serving()));
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
        recentPredictions = DedupCache.open(getKeyedStateBackend(), dedupTtl);
        batches =
                new MicroBatches(
                        maxBatchSize,
                        maxBatchBytes,
                        maxBatchDelay.toMillis(),
                        maxBatchWait.toMillis());
        idleFromNow();
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
        results =
                new ClassifyOutput(
                        output, DEAD_LETTERS, recentPredictions, this.metrics, restoredAtMillis);
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
        try {
            classifyOrBatch(element.getValue());
        } finally {
            idleFromNow();
        }
    }

    private void classifyOrBatch(DecodedImage image) throws Exception {
        long arrivedMillis = getProcessingTimeService().getCurrentProcessingTime();
        Domain domain = Domain.fromId(image.record.domain);
        SavedModelClassifier classifier = models.classifier(domain);
        // Dedup first: a copy of a known image is answered from the cache, never decoded (the
        // cache keeps what decoding told about it: size, parts, extras).
        if (recentPredictions != null) {
            CachedPrediction cached = recentPredictions.lookup(image, classifier.spec());
            if (cached != null) {
                results.reused(image, classifier.spec(), cached);
                return;
            }
            if (batches.joinWaitingOriginal(domain, image)) {
                return;
            }
        }
        if (image.pixels == null) {
            // A tiled scene is classified group by group as its tiles are read (never held
            // whole); any other image is decoded into its pixels and waits for its batch.
            ModelSpec spec = classifier.spec();
            PartsAsRead parts =
                    new PartsAsRead(
                            classifier, batches.inputsPerGroup(spec.modelInput().size()), metrics);
            try {
                decoder.decodeInto(image, parts);
            } catch (DecodeException e) {
                results.deadLetter(decoder.reject(image, e));
                return;
            }
            if (image.pixels == null) {
                if (parts.failure() != null) {
                    LOG.warn(
                            "The model failed {} times on tiles of a {} scene ({})",
                            ModelCalls.IMAGE_ATTEMPTS,
                            domain.id(),
                            parts.failure().toString());
                    results.modelError(image, parts.failure());
                } else {
                    results.complete(image, List.of(), spec, parts.predictions());
                }
                return;
            }
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (batches.add(domain, image, getCurrentKey(), arrivedMillis, now)) {
            flush(domain);
        } else if (!timerRegistered) {
            armBatchTimer(batches.firstCheck(now));
        }
    }

    private void armBatchTimer(long due) {
        timerRegistered = true;
        getProcessingTimeService().registerTimer(due, this::onBatchTimer);
    }

    /** Flushes, or looks again later while the batches may still grow ({@link MicroBatches}). */
    private void onBatchTimer(long timestamp) throws Exception {
        timerRegistered = false;
        long next = batches.nextCheck(getProcessingTimeService().getCurrentProcessingTime());
        if (next > 0) {
            armBatchTimer(next);
        } else if (next == 0) {
            flushAll();
        }
    }

    /** Classifies everything pending; called by the timer, before barriers and at the end. */
    private void flushAll() throws Exception {
        for (Domain domain : Domain.values()) {
            flush(domain);
        }
    }

    /** The subtask's work ends now: an image that comes after the batch delay finds it idle. */
    private void idleFromNow() {
        batches.idleFrom(getProcessingTimeService().getCurrentProcessingTime());
    }

    /**
     * Classifies a domain's pending batch; a model call counts as work, so the subtask is idle from
     * its end (whether the timer, a barrier, a roll-out or an image asked for it).
     */
    private void flush(Domain domain) throws Exception {
        List<MicroBatches.Pending> batch = batches.take(domain);
        if (batch.isEmpty()) {
            return;
        }
        try {
            classify(domain, batch);
        } finally {
            idleFromNow();
        }
    }

    private void classify(Domain domain, List<MicroBatches.Pending> batch) throws Exception {
        SavedModelClassifier classifier = models.classifier(domain);
        long now = System.nanoTime();
        List<float[]> inputs = new ArrayList<>(batch.size());
        int[] parts = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            MicroBatches.Pending item = batch.get(i);
            inputs.add(item.image.pixels);
            parts[i] = item.image.parts;
            metrics.queueWait(TimeUnit.NANOSECONDS.toMillis(now - item.enqueuedNanos));
        }
        List<ModelCalls.Outcome> outcomes =
                ModelCalls.classifyBatch(classifier, inputs, parts, domain.id() + " images");
        int classified = 0;
        for (ModelCalls.Outcome outcome : outcomes) {
            classified += outcome.predictions() == null ? 0 : outcome.predictions().size();
        }
        metrics.modelCall(classified, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - now));
        Object currentKey = getCurrentKey();
        ModelSpec spec = classifier.spec();
        try {
            for (int i = 0; i < batch.size(); i++) {
                MicroBatches.Pending item = batch.get(i);
                ModelCalls.Outcome outcome = outcomes.get(i);
                if (outcome.error() != null) {
                    results.modelError(item.image, item.copies, outcome.error());
                    continue;
                }
                // State belongs to the image's own key, not to the record being processed.
                setCurrentKey(item.key);
                results.complete(item.image, item.copies, spec, outcome.predictions());
            }
        } finally {
            if (currentKey != null) {
                setCurrentKey(currentKey);
            }
        }
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
        return batches.pendingCount();
    }
}
