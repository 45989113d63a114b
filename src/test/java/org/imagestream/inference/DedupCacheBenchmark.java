package org.imagestream.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.testing.ProcessCpu;
import org.imagestream.testing.ShippedFlinkConf;
import org.imagestream.training.ModelStoreAccess;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the dedup cache costs per image (one lookup and one write, as for every classified image) as
 * the cache fills, in Flink's keyed state with the TTL the job uses: {@link DedupCache} (one entry
 * per content hash) beside the layout it replaced (one {@code MapState} per shard key, {@link
 * MapPerShardLayout}); and what its checkpoints cost ({@link #snapshot}, {@link
 * #checkpointInterval}), in Flink's heap backend (the embedded runs') and in RocksDB with
 * incremental checkpoints as flink-conf/ ships it (its options and the managed memory a slot of its
 * TaskManager gets). 64 shard keys, as the job's default; the cache holds {@code entries} hashes
 * and every image rewrites one of them, so its size stays put. Run: {@code mvn -q test-compile
 * exec:exec@jmh -Djmh.args="DedupCache"}, or one case, e.g. {@code
 * -Djmh.args="DedupCacheBenchmark.snapshot -p layout=entry-per-hash -p backendType=heap"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DedupCacheBenchmark {
    private static final int SHARDS = 64;
    private static final Duration TTL = Duration.ofHours(1);

    @Param({"1000", "10000", "100000"})
    int entries;

    @Param({"entry-per-hash", "map-per-shard"})
    String layout;

    /**
     * The state backend: {@code heap} (Flink's default, full checkpoints) or {@code rocksdb}
     * (flink-conf/'s: incremental checkpoints, each uploading the files written since the last).
     */
    @Param({"heap", "rocksdb"})
    String backendType;

    private KeyedOneInputStreamOperatorTestHarness<String, String, Object> harness;
    private KeyedStateBackend<Object> backend;
    private DedupCache cache;
    private MapState<String, CachedPrediction> shardMap;
    private ModelSpec spec;
    private Prediction prediction;
    private DecodedImage[] images;
    private String[] shards;
    private int next;
    private Random random;

    /** Intervals run in the current iteration, and the process's CPU time when it began. */
    private long intervals;

    private long cpuNanosAtStart;

    /** The cache's state, to remove the entry a new image takes the place of. */
    private ValueStateDescriptor<CachedPrediction> expiring;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        random = new Random(1);
        prediction = CacheWorkload.prediction(spec, random);
        checkpoints = Files.createTempDirectory("dedup-checkpoints");
        harness = CacheWorkload.harness(checkpoints);
        if (backendType.equals("rocksdb")) {
            harness.setStateBackend(ShippedFlinkConf.rocksDbOfOneSlot(checkpoints.resolve("db")));
        }
        harness.open();
        backend = ((AbstractStreamOperator<?>) harness.getOperator()).getKeyedStateBackend();
        if (layout.equals("entry-per-hash")) {
            cache = DedupCache.open(backend, TTL);
        } else {
            MapStateDescriptor<String, CachedPrediction> descriptor =
                    MapPerShardLayout.descriptor(TTL);
            shardMap =
                    backend.getPartitionedState(
                            VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
        }
        images = new DecodedImage[entries];
        shards = new String[entries];
        expiring = new ValueStateDescriptor<>(DedupCache.STATE_NAME, CachedPrediction.class);
        expiring.enableTimeToLive(DedupCache.ttlConfig(TTL));
        for (int i = 0; i < entries; i++) {
            DecodedImage image = new DecodedImage();
            image.contentSha256 = CacheWorkload.randomHash(random);
            image.originalWidth = 1200;
            image.originalHeight = 800;
            images[i] = image;
            shards[i] = "shard-" + random.nextInt(SHARDS);
            classified();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (checkpointBytes > 0) {
            System.out.printf(
                    "%n%s, %s, %d hashes: the last checkpoint wrote %d bytes, %.0f per hash%n",
                    layout,
                    backendType,
                    entries,
                    checkpointBytes,
                    (double) checkpointBytes / entries);
        }
        harness.close();
        try (Stream<Path> files = Files.walk(checkpoints)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /**
     * A new image in place of the oldest cached one: the old entry removed (what its TTL does),
     * then the new hash looked up (a miss) and remembered.
     */
    private void newImage() throws Exception {
        int i = next;
        next = (next + 1) % entries;
        DecodedImage image = images[i];
        backend.setCurrentKey(shards[i]);
        backend.getPartitionedState(image.contentSha256, StringSerializer.INSTANCE, expiring)
                .clear();
        image.contentSha256 = CacheWorkload.randomHash(random);
        shards[i] = "shard-" + random.nextInt(SHARDS);
        backend.setCurrentKey(shards[i]);
        if (cache.lookup(image, spec) != null) {
            throw new IllegalStateException("a new hash was found cached");
        }
        cache.remember(image, spec, prediction, List.of());
    }

    /** One classified image: its lookup (a miss would be classified) and its write. */
    @Benchmark
    public Object classified() throws Exception {
        int i = next;
        next = (next + 1) % entries;
        DecodedImage image = images[i];
        backend.setCurrentKey(shards[i]);
        Object found;
        if (cache != null) {
            found = cache.lookup(image, spec);
            cache.remember(image, spec, prediction, List.of());
        } else {
            found = shardMap.get(image.contentSha256);
            shardMap.put(
                    image.contentSha256, CachedPrediction.of(spec, prediction, List.of(), image));
        }
        return found;
    }

    /**
     * One checkpoint of the operator: the heap backend writes every entry of the cache each time,
     * so this grows with the cache, not with what changed since the last checkpoint.
     */
    @Benchmark
    public Object snapshot() throws Exception {
        checkpoint++;
        OperatorSubtaskState state = harness.snapshot(checkpoint, checkpoint);
        // What this checkpoint wrote (an incremental one refers to earlier files for the rest).
        checkpointBytes = state.getCheckpointedSize();
        return state;
    }

    /**
     * One checkpoint interval of a job at 240 images/s with 10 s checkpoints: 2,400 new images
     * (each a lookup that misses and a write of a hash not cached before, while the oldest cached
     * hash expires, so the cache keeps its size), then a checkpoint, confirmed as the job's would
     * be (an incremental backend then knows what is uploaded). Entry-per-hash layout only.
     */
    @Benchmark
    public Object checkpointInterval() throws Exception {
        for (int i = 0; i < IMAGES_PER_INTERVAL; i++) {
            newImage();
        }
        Object state = snapshot();
        harness.notifyOfCompletedCheckpoint(checkpoint);
        intervals++;
        return state;
    }

    /**
     * The benchmark's time is the calling thread's; a backend also works on threads of its own
     * (RocksDB's flushes and compactions, the heap's asynchronous snapshot part), so the process's
     * CPU per interval is printed after each measured iteration too.
     */
    @Setup(Level.Iteration)
    public void startCpuClock() {
        intervals = 0;
        cpuNanosAtStart = ProcessCpu.nanos();
    }

    @TearDown(Level.Iteration)
    public void printCpuPerInterval() {
        if (intervals > 0) {
            System.out.printf(
                    "%n%s, %d hashes: process CPU %.1f ms per interval%n",
                    backendType, entries, (ProcessCpu.nanos() - cpuNanosAtStart) / 1e6 / intervals);
        }
    }

    static final int IMAGES_PER_INTERVAL = 2400;

    private long checkpoint;
    private long checkpointBytes;
    private Path checkpoints;
}
