package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.commons.io.FileUtils;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.job.ImageClassificationJob;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.testing.HeapWatch;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.ShippedFlinkConf;
import org.imagestream.training.ModelStore;

/**
 * The end-to-end benchmark of issue #9, in one run on one machine, for one social model (the model
 * under test; the remote-sensing and medical domains use the seed models):
 *
 * <ol>
 *   <li>ceiling (a): raw batched TF inference of the social model on already-preprocessed tensors,
 *       best of batch 1/32/128;
 *   <li>compute floor (b): decode + preprocess + batched inference of the same mix in one process,
 *       decoding on every core while the previous chunk is classified;
 *   <li>the job: real Kafka to Cassandra (local processes started here), the topic pre-loaded with
 *       warm-up images and then the measured ones, one job run; sustained images/s and MB/s between
 *       10 % and 90 % of the measured images' rows; then the rate it sustains while a paced
 *       producer on the same cores feeds it (offered 15 % over the pre-loaded rate), and produce to
 *       row latency (Kafka record timestamp to the row's Cassandra write time) at 25/50/90 % of
 *       that rate, HdrHistogram, after paced warm-up records;
 *   <li>the job again on the same measured images (its own topic and keyspace, a quarter of the
 *       warm-up records), now that this JVM and the Cassandra node are warm, as the peer's are;
 *   <li>the per-record peer: one plain Kafka consumer thread, one {@code Session.run} per image,
 *       one synchronous Cassandra insert per blob chunk, blob, result and listing row, after its
 *       own warm-up records.
 * </ol>
 *
 * The mix: 50 % social JPEGs of 800..1800 px (50-300 KB), 25 % 13-band 16-bit 64x64 GeoTIFFs, 25 %
 * 512x512 16-bit CT DICOM slices, every record distinct (a unique marker per record), so the dedup
 * cache never helps. CPU per image of this JVM, Kafka and Cassandra is taken over each arm's
 * measured phase, after the machine has been quiet for two seconds, with the rate all that CPU
 * allows on this machine's cores, and again without the JIT compilers' threads (the arms run one
 * after another in this JVM, so a later arm finds code an earlier one compiled); the job's
 * sustained phase is CPU-profiled ({@link CpuProfile}), the peer's per thread. With local servers
 * and the peer, each arm's Cassandra is also charged until its keyspace is flushed and compacted
 * ({@link SettledStorage}).
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@e2e-bench -Dbench.args="--model seed"} ({@code seed}
 * = the 32x32 seed CNN, {@code inception} = {@link InceptionSizedModel}, or a model directory or
 * root with a {@code model.json}, e.g. the imported nsfwjs MobileNetV2).
 */
public final class EndToEndBenchmark {
    static final int CORES = Runtime.getRuntime().availableProcessors();

    /** Where the local Kafka and Cassandra keep their data and logs. */
    private static final Path LOCAL_STACK_DIRECTORY = Path.of("target/bench-work/e2e");

    /** How long an arm waits for the machine to be quiet before it is measured. */
    private static final Duration QUIET_TIMEOUT = Duration.ofMinutes(2);

    private static final int FLOOD_MAX_BYTES = 4 * 1024 * 1024;

    /** File-name prefix of the flood's hostile records. */
    private static final String HOSTILE = "hostile-";

    /**
     * Default warm-up records before the measured ones. In one 6,000-image job run the rate per
     * tenth of the rows climbed from 43 to about 95 img/s and levelled off after about 3,000 images
     * (JIT compilation on a machine whose two cores are also Kafka's and Cassandra's).
     */
    private static final int WARMUP_IMAGES = 4000;

    /** Options given with --job-options, applied to every job run on top of the defaults. */
    private static final Map<String, String> JOB_OPTIONS = new LinkedHashMap<>();

    /**
     * Task slots of the local cluster (--slots; one per core by default): more lets a job option
     * such as job.parallelism.classify run more subtasks than cores.
     */
    private static int slots = CORES;

    /**
     * The local cluster's state backend (--state-backend): {@code flink-conf} (the default) keeps
     * the dedup cache as the standalone cluster and the docker stack do (flink-conf/'s
     * state.backend.* and incremental checkpoints, with the managed memory a slot of its
     * TaskManager gets); {@code heap} is Flink's default, which the demo and the tests'
     * MiniClusters use.
     */
    private static String stateBackend = "flink-conf";

    /**
     * What every job run's local cluster gets for {@link #stateBackend}, set once from flink-conf/
     * (and printed in the report as it is): none for {@code heap}.
     */
    private static Configuration stateBackendOptions = new Configuration();

    /** Where the local cluster's checkpoints go: files, as the cluster's; emptied at start. */
    private static Path checkpointDirectory;

    /**
     * The job's checkpoint interval here (flink-conf/ has 10 s): dead letters are committed, and
     * the batches of the Cassandra sink flushed, at each one.
     */
    private static final String CHECKPOINT_INTERVAL = "5s";

    /**
     * The live-rate run offers this share of the pre-loaded rate: enough over the job's rate for a
     * backlog to form, so the rows stored per second are the job's rate, not the producer's.
     */
    private static final double LIVE_RATE_OFFERED = 1.15;

    private EndToEndBenchmark() {}

    /** Kafka and Cassandra the benchmark runs against: its own local servers, or given ones. */
    record Services(String bootstrapServers, String cassandraContactPoint, LocalStack local) {
        void createTopics(int partitions, String... topics) throws IOException {
            LocalStack.createTopics(bootstrapServers, partitions, topics);
        }
    }

    /** One record of the mix. */
    record Item(Domain domain, String fileName, String contentType, byte[] bytes) {
        /** Sends this image to {@code topic} as the producer CLI would. */
        Future<RecordMetadata> publish(ImagePublisher publisher, String topic) {
            return publisher.publish(topic, domain.id(), fileName, contentType, bytes);
        }

        /** Publishes it; {@code acknowledged} runs on the producer's I/O thread (see there). */
        Future<RecordMetadata> publish(
                ImagePublisher publisher, String topic, Callback acknowledged) {
            return publisher.publish(
                    topic, domain.id(), fileName, contentType, bytes, Map.of(), acknowledged);
        }
    }

    public static void main(String[] args) throws Exception {
        // Steps of the wall clock (a paused machine), which every wall-clock figure would hold;
        // from the start, so "the whole benchmark" holds the ceiling and floor arms too.
        ClockSteps clock = ClockSteps.start();
        long benchmarkStartedMillis = System.currentTimeMillis();
        Map<String, String> arguments = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            arguments.put(args[i], args[i + 1]);
        }
        String model = arguments.getOrDefault("--model", "seed");
        int images = Integer.parseInt(arguments.getOrDefault("--images", "2000"));
        int peerImages =
                Integer.parseInt(
                        arguments.getOrDefault("--peer-images", Integer.toString(images / 2)));
        int rateSeconds = Integer.parseInt(arguments.getOrDefault("--rate-seconds", "30"));
        List<Integer> ratePercents =
                Arrays.stream(arguments.getOrDefault("--rates", "25,50,90").split(","))
                        .map(Integer::parseInt)
                        .toList();
        Path out = Path.of(arguments.getOrDefault("--out", "target/e2e-bench"));
        // Extra job options, e.g. "inference.max-batch-delay=50ms;job.parallelism.classify=1".
        JOB_OPTIONS.putAll(keyValues(arguments.getOrDefault("--job-options", "")));
        slots = Integer.parseInt(arguments.getOrDefault("--slots", Integer.toString(CORES)));
        stateBackend = arguments.getOrDefault("--state-backend", "flink-conf");
        if (!stateBackend.equals("flink-conf") && !stateBackend.equals("heap")) {
            throw new IllegalArgumentException(
                    "--state-backend: flink-conf or heap, not " + stateBackend);
        }
        if (stateBackend.equals("flink-conf")) {
            Configuration flinkConf = ShippedFlinkConf.load();
            stateBackendOptions = ShippedFlinkConf.stateBackendOptions(flinkConf);
            stateBackendOptions.set(
                    TaskManagerOptions.MANAGED_MEMORY_SIZE,
                    ShippedFlinkConf.managedMemoryPerSlot(flinkConf).multiply(slots));
        }
        // cassandra.yaml settings of the local node, e.g. "memtable_heap_space=128MiB".
        Map<String, String> cassandraSettings =
                keyValues(arguments.getOrDefault("--cassandra-settings", ""));
        // --profile false: no profiles of the job run (they cost a few per cent of throughput).
        boolean profile = Boolean.parseBoolean(arguments.getOrDefault("--profile", "true"));
        boolean jobOnly = Boolean.parseBoolean(arguments.getOrDefault("--job-only", "false"));
        // Unmeasured records first (other images of the mix), so neither arm pays for class
        // loading, JIT and a cold Cassandra in its measurement.
        int warmupImages =
                Integer.parseInt(
                        arguments.getOrDefault("--warmup-images", Integer.toString(WARMUP_IMAGES)));
        // Each latency run starts a new job: after 30 s at the seed model's rates its first
        // measured seconds still had the slowest rows of the run (docs/benchmarks.md, session 29).
        int latencyWarmupSeconds =
                Integer.parseInt(arguments.getOrDefault("--latency-warmup-seconds", "60"));
        // --kafka-probe true: the latency runs also time the Kafka hop alone (TopicReaders), with
        // readers that add their fetches to the broker's and the job JVM's CPU: off by default.
        boolean kafkaProbe = Boolean.parseBoolean(arguments.getOrDefault("--kafka-probe", "false"));
        // --second-job false: no second pre-loaded job run (see below).
        boolean secondJob = Boolean.parseBoolean(arguments.getOrDefault("--second-job", "true"));
        // --flood-share 0.3: one more job run where 30 % of the records are hostile.
        double floodShare = Double.parseDouble(arguments.getOrDefault("--flood-share", "0"));
        int floodRounds = Integer.parseInt(arguments.getOrDefault("--flood-rounds", "2"));
        if (floodShare > 0) {
            // Oversized records of the flood exceed this; no record of the clean mix comes close.
            JOB_OPTIONS.putIfAbsent("limits.max-image-bytes", Integer.toString(FLOOD_MAX_BYTES));
        }
        Files.createDirectories(out);
        checkpointDirectory = out.resolve("checkpoints").toAbsolutePath();
        FileUtils.deleteDirectory(checkpointDirectory.toFile());

        Map<Domain, ModelSpec> specs =
                new EnumMap<>(
                        ModelStore.ensureSeedModels(Path.of("target/models").toAbsolutePath()));
        switch (model) {
            case "seed" -> {}
            case "inception" ->
                    specs.put(
                            Domain.SOCIAL,
                            InceptionSizedModel.ensure(
                                    InceptionSizedModel.DIRECTORY.toAbsolutePath()));
            default ->
                    specs.put(
                            Domain.SOCIAL, ModelSpec.load(ModelDirectory.current(Path.of(model))));
        }
        ModelSpec social = specs.get(Domain.SOCIAL);
        String label = social.name() + ":" + social.version();
        StringBuilder report = new StringBuilder();
        report.append(
                String.format(
                        Locale.ROOT,
                        "%n### %s (%dx%dx%d), %s%n%n",
                        label,
                        social.height(),
                        social.width(),
                        social.channels(),
                        Instant.now()));
        report.append(machine());
        report.append(
                jobJvm(
                        Boolean.parseBoolean(
                                arguments.getOrDefault("--taskmanager-environment", "true"))));
        report.append(
                JOB_OPTIONS.isEmpty()
                        ? "Job options: defaults\n\n"
                        : "Job options: " + JOB_OPTIONS + "\n\n");
        report.append("Task slots of the local cluster: " + slots + "\n\n");
        report.append(
                (stateBackend.equals("heap")
                                ? "State backend: Flink's heap backend"
                                : "State backend: flink-conf/'s "
                                        + stateBackendOptions
                                        + " (managed memory for "
                                        + slots
                                        + " slots)")
                        + "; checkpoints every "
                        + CHECKPOINT_INTERVAL
                        + " to files under "
                        + checkpointDirectory
                        + "\n\n");
        report.append(
                cassandraSettings.isEmpty()
                        ? ""
                        : "Local Cassandra node settings: " + cassandraSettings + "\n\n");
        report.append(
                "Warm-up (not measured): the job's topic starts with "
                        + warmupImages
                        + " other images of the mix, the peer's with "
                        + Math.min(peerImages, warmupImages / 4)
                        + "; latency runs pace "
                        + latencyWarmupSeconds
                        + " s before their measured "
                        + rateSeconds
                        + " s.\n\n");
        report.append(
                kafkaProbe
                        ? "Kafka probe: in each latency run a reader per partition in the job's JVM"
                                + " tails the topic as the job's source does and times each record"
                                + " from its send; their fetches and CPU are in the run's window.\n\n"
                        : "");

        System.out.println("Generating " + images + " images ...");
        Random random = new Random(42);
        Mix mix = new Mix(random);
        List<Item> items = mix.items(images);
        long totalBytes = items.stream().mapToLong(i -> i.bytes().length).sum();
        report.append(
                String.format(
                        Locale.ROOT,
                        "Mix: %d images, %.1f MB (social JPEG %d-%d KB, GeoTIFF %d KB, DICOM %d"
                                + " KB)%n%n",
                        images,
                        totalBytes / 1e6,
                        mix.smallestJpeg / 1024,
                        mix.largestJpeg / 1024,
                        mix.geotiffSize / 1024,
                        mix.dicomSize / 1024));

        // (a) and (b): no servers needed.
        Map<Integer, Double> raw = ComputeArms.rawCeiling(social, items);
        double ceiling = raw.values().stream().mapToDouble(d -> d).max().orElseThrow();
        double[] floorCpuMillis = new double[2]; // all, of which JIT compilers
        double floor = ComputeArms.computeFloor(specs, items, floorCpuMillis);

        // --bootstrap-servers and --cassandra: run against Kafka and Cassandra elsewhere (e.g. on
        // their own hosts) instead of starting local ones; their CPU is then not measured here.
        String externalKafka = arguments.get("--bootstrap-servers");
        String externalCassandra = arguments.get("--cassandra");
        if ((externalKafka == null) != (externalCassandra == null)) {
            throw new IllegalArgumentException(
                    "give both --bootstrap-servers and --cassandra, or neither");
        }
        LocalStack local =
                externalKafka == null
                        ? LocalStack.builder()
                                .workDirectory(LOCAL_STACK_DIRECTORY)
                                .cassandraSettings(cassandraSettings)
                                .cassandraJmx(true)
                                .start()
                        : null;
        Services stack =
                local != null
                        ? new Services(
                                local.bootstrapServers(), local.cassandraContactPoint(), local)
                        : new Services(externalKafka, externalCassandra, null);
        SettledStorage settled = null;
        try {
            Processes processes = new Processes(stack, clock);
            // Only with the peer, which the settled lines compare against: job-only runs keep the
            // node's memtables as sessions 39 and 40 had them.
            settled = jobOnly ? null : SettledStorage.connect(stack, processes);
            // --services-nice N: the local Kafka and Cassandra at niceness N, the job at 0.
            report.append(
                    processes.renice(
                            Integer.parseInt(arguments.getOrDefault("--services-nice", "0"))));
            String peerThreads = "";
            String notQuiet = "";
            // How fast the machine computed before each arm (MachineSpeed): rates swung by a third.
            String speeds = "";
            // The job at full speed on a pre-loaded topic: first the warm-up records (other
            // images of the mix), then the measured ones. Warm-up runs inside the measured job:
            // a separate warm-up job left the JIT compilers busy on a third of the CPU during the
            // next job (a new MiniCluster re-links much of Flink's code), which a long-running
            // TaskManager does not pay.
            String suffix = Long.toString(System.currentTimeMillis(), 36);
            String topic = "e2e-" + suffix;
            stack.createTopics(CORES, topic, topic + "-dead");
            for (int produced = 0; produced < warmupImages; produced += 500) {
                // In chunks, so the warm-up images are never all in memory at once.
                produceAll(stack, topic, mix.items(Math.min(500, warmupImages - produced)));
            }
            Map<String, Integer> sizes = produceAll(stack, topic, items);
            createSchema(stack, "e2e_job_" + suffix);
            notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "job");
            speeds += MachineSpeed.probe("job", CORES);
            System.out.println(
                    "Job run on " + warmupImages + " warm-up and " + images + " measured images");
            long started = System.nanoTime();
            ProfiledRun profiled =
                    runProfiledJob(
                            stack,
                            specs,
                            topic,
                            "e2e_job_" + suffix,
                            profile,
                            sizes,
                            started,
                            processes,
                            settled,
                            out.resolve(social.name() + "-job"));
            Throughput job = profiled.throughput();
            String flood =
                    floodShare > 0
                            ? flood(stack, specs, items, floodShare, floodRounds, suffix)
                            : "";

            // Latency at fractions of the job's sustained rate.
            List<String> latencyRows = new ArrayList<>();
            // --job-only skips them unless --rates is given too.
            boolean measureLatency = !jobOnly || arguments.containsKey("--rates");
            // --base-rate R: shares of R instead of this run's sustained rate, so runs that
            // compare job options offer the same rates.
            String baseRate = arguments.get("--base-rate");
            List<String> latencyResources = new ArrayList<>();
            String live = "";
            double base = job.imagesPerSecond();
            if (baseRate != null) {
                base = Double.parseDouble(baseRate);
            } else if (measureLatency) {
                // The latency runs' producer and the broker's produce path share the cores with
                // the job, which the pre-loaded topic above did not: their shares are of the rate
                // the job sustains with a producer running, offered 15 % over the pre-loaded one.
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "live rate");
                speeds += MachineSpeed.probe("live rate", CORES);
                double offered = job.imagesPerSecond() * LIVE_RATE_OFFERED;
                LatencyRuns.LiveRate liveRate =
                        LatencyRuns.liveRate(
                                LatencyRuns.pacedRun(
                                        stack,
                                        specs,
                                        mix,
                                        "live-rate",
                                        offered,
                                        latencyWarmupSeconds,
                                        rateSeconds,
                                        suffix + "live",
                                        processes,
                                        false),
                                offered,
                                latencyWarmupSeconds,
                                processes);
                live = liveRate.report();
                base = liveRate.imagesPerSecond();
            }
            for (int percent : measureLatency ? ratePercents : List.<Integer>of()) {
                double rate = base * percent / 100.0;
                // Not on the compactions and flushes of what the job arm just wrote.
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "latency " + percent + " %");
                speeds += MachineSpeed.probe("latency " + percent + " %", CORES);
                LatencyRuns.LatencyRun run =
                        LatencyRuns.latency(
                                LatencyRuns.pacedRun(
                                        stack,
                                        specs,
                                        mix,
                                        "latency-" + percent,
                                        rate,
                                        latencyWarmupSeconds,
                                        rateSeconds,
                                        suffix + percent,
                                        processes,
                                        kafkaProbe),
                                percent,
                                rate,
                                rateSeconds,
                                processes,
                                clock);
                latencyRows.add(run.row());
                latencyResources.add(run.resources());
            }

            // The job arm again, now that this JVM and the node have run the job and the
            // latency runs (as a TaskManager and a node that have run for a while have): the
            // first arm's window still holds JIT compilation of both, which the peer, measured
            // last, no longer pays. Same measured images, a topic and keyspace of its own (so no
            // dedup hit), a quarter as many warm-up records to fill the pipeline.
            ProfiledRun again = null;
            Throughput jobAgain = null;
            int againWarmup = warmupImages / 4;
            if (secondJob) {
                String againTopic = "e2e-again-" + suffix;
                stack.createTopics(CORES, againTopic, againTopic + "-dead");
                produceAll(stack, againTopic, mix.items(againWarmup));
                Map<String, Integer> againSizes = produceAll(stack, againTopic, items);
                createSchema(stack, "e2e_again_" + suffix);
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "job, second run");
                speeds += MachineSpeed.probe("job, second run", CORES);
                System.out.println("Second job run on " + againWarmup + " warm-up images");
                long againStarted = System.nanoTime();
                again =
                        runProfiledJob(
                                stack,
                                specs,
                                againTopic,
                                "e2e_again_" + suffix,
                                false,
                                againSizes,
                                againStarted,
                                processes,
                                settled,
                                null);
                jobAgain = again.throughput();
            }

            // The per-record peer on the first peerImages of the same records, after its own
            // warm-up records, in a topic of its own.
            int peerWarmup = Math.min(peerImages, warmupImages / 4);
            String peerTopic = "e2e-peer-" + suffix;
            PerRecordPeer.Run peer = null;
            SettledStorage.Settled peerSettled = null;
            if (!jobOnly) {
                stack.createTopics(CORES, peerTopic);
                produceAll(stack, peerTopic, mix.items(peerWarmup));
                Map<String, Integer> peerSizes =
                        produceAll(stack, peerTopic, items.subList(0, peerImages));
                String peerKeyspace = "e2e_peer_" + suffix;
                createSchema(stack, peerKeyspace);
                // Cassandra compacts what the job and the latency runs wrote for a while.
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "peer");
                speeds += MachineSpeed.probe("peer", CORES);
                Processes.Snapshot peerStart = settled != null ? settled.start() : null;
                peer =
                        PerRecordPeer.run(
                                stack,
                                specs,
                                peerTopic,
                                peerKeyspace,
                                peerWarmup,
                                peerSizes,
                                processes);
                peerSettled = settled != null ? settled.settle(peerStart, peerKeyspace) : null;
            }
            // --job-only: no peer run (reported as NaN).
            double peerRate = peer == null ? Double.NaN : peer.throughput().imagesPerSecond();

            report.append("| arm | images/s | MB/s | note |\n|---|---|---|---|\n");
            report.append(
                    String.format(
                            Locale.ROOT,
                            "| (a) raw TF ceiling, social model only | %.1f | | batch 1: %.1f,"
                                    + " 32: %.1f, 128: %.1f |%n",
                            ceiling,
                            raw.get(1),
                            raw.get(32),
                            raw.get(128)));
            report.append(
                    String.format(
                            Locale.ROOT,
                            "| (b) compute floor: decode + preprocess + batched inference, %d"
                                    + " threads | %.1f | %.1f | the whole mix |%n",
                            CORES,
                            floor,
                            floor * totalBytes / images / 1e6));
            report.append(
                    String.format(
                            Locale.ROOT,
                            "| job (Kafka -> Flink, parallelism %d -> Cassandra) | %.1f | %.1f |"
                                    + " sustained, 10-90 %% of rows; %.1f s in all |%n",
                            CORES,
                            job.imagesPerSecond(),
                            job.megabytesPerSecond(),
                            job.wallSeconds()));
            if (jobAgain != null) {
                report.append(
                        String.format(
                                Locale.ROOT,
                                "| job, second run (JVM and node warm) | %.1f | %.1f | the same"
                                        + " images after %d warm-up ones; %.1f s in all |%n",
                                jobAgain.imagesPerSecond(),
                                jobAgain.megabytesPerSecond(),
                                againWarmup,
                                jobAgain.wallSeconds()));
            }
            report.append(
                    String.format(
                            Locale.ROOT,
                            "| per-record peer (1 consumer thread, Session.run per image, sync"
                                    + " inserts) | %.1f | %.1f | %d images |%n%n",
                            peerRate,
                            peer == null ? Double.NaN : peer.throughput().megabytesPerSecond(),
                            peerImages));
            report.append(
                    String.format(
                            Locale.ROOT,
                            "Ratios: job / floor (b) = %.2f, job / ceiling (a) = %.2f (the"
                                    + " ceiling is the social model alone; the mix has 50 %% social"
                                    + " images), job / peer = %.2f%n%n",
                            job.imagesPerSecond() / floor,
                            job.imagesPerSecond() / ceiling,
                            job.imagesPerSecond() / peerRate));
            report.append(flood);
            if (baseRate != null) {
                report.append(
                        "Latency runs offer shares of "
                                + baseRate
                                + " img/s (--base-rate), not of the sustained rate above.\n\n");
            }
            report.append(live.isEmpty() ? "" : live + "\n");
            report.append(
                    "| offered rate | achieved | p50 ms | p95 ms | p99 ms | max ms | rows |\n"
                            + "|---|---|---|---|---|---|---|\n");
            latencyRows.forEach(report::append);
            report.append('\n');
            report.append(
                    "Resources while measured (the job: its rows 10-90 %; the peer: its measured"
                            + " records), CPU per image and RSS at the end; the machine bound is"
                            + " cores / all CPU per image, the rate this machine could reach if"
                            + " nothing waited:\n\n");
            report.append(notQuiet);
            report.append(speeds);
            report.append(
                    "- the whole benchmark: "
                            + clock.describe(benchmarkStartedMillis, System.currentTimeMillis())
                            + "\n");
            report.append(
                    processes.table(
                            profiled.before(),
                            profiled.after(),
                            profiled.rows(),
                            "job",
                            job.imagesPerSecond()));
            latencyResources.forEach(report::append);
            if (again != null) {
                report.append(
                        processes.table(
                                again.before(),
                                again.after(),
                                again.rows(),
                                "job, second run",
                                jobAgain.imagesPerSecond()));
            }
            if (peer != null) {
                report.append(
                        processes.table(peer.before(), peer.after(), peerImages, "peer", peerRate));
                peerThreads = Processes.threadTables(peer.before(), peer.after());
                // Sum of parts: what the machine allows if each part costs what it costs alone:
                // decode + inference as in the floor, storing and consuming as in the peer
                // (Cassandra's and Kafka's CPU for the same statements and records; the driver's
                // client-side CPU is left out, so the bound is, if anything, too high).
                double cassandra =
                        processes.millisPerImage(
                                peer.before(), peer.after(), peerImages, "Cassandra");
                double kafka =
                        processes.millisPerImage(peer.before(), peer.after(), peerImages, "Kafka");
                double parts = floorCpuMillis[0] + cassandra + kafka;
                double bound = CORES * 1000 / parts;
                report.append(
                        String.format(
                                Locale.ROOT,
                                "- sum-of-parts bound: %d cores / (floor %.1f (of which JIT"
                                        + " compilers %.1f) + Cassandra %.1f + Kafka %.1f ms/image"
                                        + " = %.1f) = %.0f img/s; job / bound = %.2f%n",
                                CORES,
                                floorCpuMillis[0],
                                floorCpuMillis[1],
                                cassandra,
                                kafka,
                                parts,
                                bound,
                                job.imagesPerSecond() / bound));
                // The floor runs first, in a cold JVM, and the peer's Cassandra and Kafka are
                // warm: the bound again with every part's compilers left out.
                double steadyParts =
                        floorCpuMillis[0]
                                - floorCpuMillis[1]
                                + cassandra
                                - Processes.compilerMillisPerImage(
                                        peer.before(), peer.after(), peerImages, "Cassandra")
                                + kafka
                                - Processes.compilerMillisPerImage(
                                        peer.before(), peer.after(), peerImages, "Kafka");
                report.append(
                        String.format(
                                Locale.ROOT,
                                "- the same without the parts' JIT compilers: %d cores / %.1f"
                                        + " ms/image = %.0f img/s; job / that = %.2f%n",
                                CORES,
                                steadyParts,
                                CORES * 1000 / steadyParts,
                                job.imagesPerSecond() / (CORES * 1000 / steadyParts)));
                double jobMillis =
                        processes.allMillisPerImage(
                                profiled.before(), profiled.after(), profiled.rows(), false);
                double peerMillis =
                        processes.allMillisPerImage(peer.before(), peer.after(), peerImages, false);
                double jobSteady =
                        processes.allMillisPerImage(
                                profiled.before(), profiled.after(), profiled.rows(), true);
                double peerSteady =
                        processes.allMillisPerImage(peer.before(), peer.after(), peerImages, true);
                report.append(
                        String.format(
                                Locale.ROOT,
                                "- job / peer CPU per image, all processes: %.1f / %.1f = %.2f;"
                                        + " without their JIT compilers: %.1f / %.1f = %.2f%n",
                                jobMillis,
                                peerMillis,
                                jobMillis / peerMillis,
                                jobSteady,
                                peerSteady,
                                jobSteady / peerSteady));
                // A job that cost exactly the parts, against the peer. The parts hold the peer's
                // own Cassandra and Kafka CPU, so this sets the floor's decode and batched
                // inference against the peer's JVM (unbatched inference, its driver's client
                // CPU). Not a lower bound: a job whose writes cost Cassandra less than the peer's,
                // or whose JVM costs less than the floor measured first in a cold JVM, goes below.
                report.append(
                        String.format(
                                Locale.ROOT,
                                "- a job at the bound against the peer (sum of parts / peer CPU"
                                        + " per image): %.1f / %.1f = %.2f; without their JIT"
                                        + " compilers: %.1f / %.1f = %.2f%n",
                                parts,
                                peerMillis,
                                parts / peerMillis,
                                steadyParts,
                                peerSteady,
                                steadyParts / peerSteady));
                if (again != null) {
                    double againMillis =
                            processes.allMillisPerImage(
                                    again.before(), again.after(), again.rows(), false);
                    double againSteady =
                            processes.allMillisPerImage(
                                    again.before(), again.after(), again.rows(), true);
                    report.append(
                            String.format(
                                    Locale.ROOT,
                                    "- second job run: job / bound = %.2f (without the parts'"
                                            + " JIT compilers %.2f); job / peer CPU per image, all"
                                            + " processes: %.1f / %.1f = %.2f; without their JIT"
                                            + " compilers: %.1f / %.1f = %.2f%n",
                                    jobAgain.imagesPerSecond() / bound,
                                    jobAgain.imagesPerSecond() / (CORES * 1000 / steadyParts),
                                    againMillis,
                                    peerMillis,
                                    againMillis / peerMillis,
                                    againSteady,
                                    peerSteady,
                                    againSteady / peerSteady));
                }
                if (peerSettled != null) {
                    report.append(
                            SettledStorage.lines(
                                    processes,
                                    profiled,
                                    again,
                                    peer,
                                    peerSettled,
                                    peerImages,
                                    floorCpuMillis[0],
                                    CORES));
                }
            }
            report.append('\n');
            report.append("CPU profiles while the job stored rows 10-90 %.\n\n");
            report.append(profiled.summary());
            if (!peerThreads.isEmpty()) {
                report.append("\nCPU per thread while the peer stored its measured records.\n\n");
                report.append(peerThreads);
            }
        } finally {
            clock.close();
            try {
                if (settled != null) {
                    settled.close();
                }
            } finally {
                if (local != null) {
                    local.close();
                    keepServerGcLogs(out);
                }
            }
        }
        System.out.println(report);
        Files.writeString(
                out.resolve("report.md"),
                report.toString(),
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        System.exit(0); // Flink's and Kafka's non-daemon threads
    }

    /**
     * An arm's keyspace and tables before its machine-quiet wait: making a keyspace costs the node
     * more than storing many images, and the settled span should not hold it. The job's and the
     * peer's own creates then find everything there.
     */
    private static void createSchema(Services stack, String keyspace) {
        CassandraSettings settings = settings(stack, keyspace);
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
        }
    }

    /**
     * Copies the local broker's and node's GC logs (their lines carry the wall clock and the JVM's
     * uptime, so they show steps of the clock too) beside the report: the servers' directories are
     * reused by the next run, and their logs rotate away within a few runs.
     */
    private static void keepServerGcLogs(Path out) throws IOException {
        for (String server : List.of("kafka", "cassandra")) {
            Path directory = LOCAL_STACK_DIRECTORY.resolve(server);
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (var logs = Files.newDirectoryStream(directory, "gc.log*")) {
                for (Path log : logs) {
                    Files.copy(
                            log,
                            out.resolve(server + "-" + log.getFileName()),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** "a=1;b=2" as an ordered map; blank parts are skipped. */
    private static Map<String, String> keyValues(String list) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String option : list.split(";")) {
            if (!option.isBlank()) {
                String[] pair = option.split("=", 2);
                if (pair.length != 2) {
                    throw new IllegalArgumentException("expected key=value, got: " + option);
                }
                values.put(pair[0].trim(), pair[1].trim());
            }
        }
        return values;
    }

    // ---------------------------------------------------------------- the job

    record Throughput(double imagesPerSecond, double megabytesPerSecond, double wallSeconds) {}

    private static Map<String, Integer> produceAll(Services stack, String topic, List<Item> items)
            throws Exception {
        return produceAll(stack, topic, items, new HashMap<>());
    }

    /** As above; {@code byId} receives every record's item by image id. */
    private static Map<String, Integer> produceAll(
            Services stack, String topic, List<Item> items, Map<String, Item> byId)
            throws Exception {
        // In the order produced: the window's markers are picked by position.
        Map<String, Integer> sizes = new LinkedHashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (Item item : items) {
                sent.add(item.publish(publisher, topic));
            }
            for (int i = 0; i < sent.size(); i++) {
                String id = RecordIds.of(publisher.clientProperties(), sent.get(i).get());
                sizes.put(id, items.get(i).bytes().length);
                byId.put(id, items.get(i));
            }
        }
        return sizes;
    }

    /**
     * The flood arm: the same good records with hostile ones mixed in at random ({@code share} of
     * all records: the decoder suite's corpus, decompression bombs, and 1 in 50 a record over
     * {@code limits.max-image-bytes}), against the clean mix: {@code rounds} pairs of a flood and a
     * clean run after the (cold) main job arm, in the order F C C F (repeated), so a warm-up drift
     * across runs (JIT, Cassandra) weighs on both arms alike. Throughput counts the good images
     * only, over the same 10-90 % window as the clean job arm. Returns the report lines.
     */
    private static String flood(
            Services stack,
            Map<Domain, ModelSpec> specs,
            List<Item> items,
            double share,
            int rounds,
            String suffix)
            throws Exception {
        Random random = new Random(7);
        List<HostileCorpus.Sample> corpus = new ArrayList<>(HostileCorpus.variants(random));
        corpus.addAll(HostileCorpus.bombs());
        int hostileCount = (int) Math.round(items.size() * share / (1 - share));
        List<Item> mixed = new ArrayList<>(items);
        for (int i = 0; i < hostileCount; i++) {
            if (i % 50 == 49) {
                byte[] big = new byte[FLOOD_MAX_BYTES + 1 + random.nextInt(512 * 1024)];
                random.nextBytes(big);
                mixed.add(new Item(Domain.values()[i % 3], HOSTILE + "oversized-" + i, null, big));
            } else {
                HostileCorpus.Sample sample = corpus.get(i % corpus.size());
                mixed.add(new Item(sample.domain(), HOSTILE + sample.name(), null, sample.bytes()));
            }
        }
        java.util.Collections.shuffle(mixed, random);
        List<MeasuredRun> floodRuns = new ArrayList<>();
        List<MeasuredRun> cleanRuns = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            List<Boolean> order = round % 2 == 1 ? List.of(true, false) : List.of(false, true);
            for (boolean flood : order) {
                String name = (flood ? "flood" : "clean") + round + "-" + suffix;
                (flood ? floodRuns : cleanRuns)
                        .add(measuredRun(stack, specs, name, flood ? mixed : items, items.size()));
            }
        }
        MeasuredRun last = floodRuns.get(floodRuns.size() - 1);
        int deadLetters =
                PipelineOutcomes.readCommitted(
                                stack.bootstrapServers(),
                                last.topic() + "-dead",
                                mixed.size() - last.rows())
                        .size();
        double floodMean = mean(floodRuns);
        double cleanMean = mean(cleanRuns);
        return String.format(
                Locale.ROOT,
                "Hostile flood (%.0f %% of %d records hostile: %d corpus variants and bombs, %d over"
                        + " limits.max-image-bytes; no restart strategy, a restart would fail the"
                        + " run), %d rounds of a flood and a clean run after the job arm, in the"
                        + " order F C C F:"
                        + " good images/s under the flood %s (mean %.1f), clean %s (mean %.1f):"
                        + " flood / clean = %.2f. Last flood run: %d rows (good + still-decodable"
                        + " variants) + %d dead letters = %d of %d records. Heap in use after GC at"
                        + " most %d MiB in the flood runs, %d MiB in the clean runs (of %d MiB).%n%n",
                share * 100,
                mixed.size(),
                hostileCount - hostileCount / 50,
                hostileCount / 50,
                rounds,
                rates(floodRuns),
                floodMean,
                rates(cleanRuns),
                cleanMean,
                floodMean / cleanMean,
                last.rows(),
                deadLetters,
                last.rows() + deadLetters,
                mixed.size(),
                maxHeap(floodRuns) >> 20,
                maxHeap(cleanRuns) >> 20,
                Runtime.getRuntime().maxMemory() >> 20);
    }

    /**
     * One bounded job run on a fresh topic and keyspace: rows stored, good (non-hostile) images per
     * second over the 10-90 % window of their write times, heap in use after GC.
     */
    private record MeasuredRun(String topic, double goodPerSecond, int rows, long heapAfterGc) {}

    private static MeasuredRun measuredRun(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            List<Item> records,
            int goodRecords)
            throws Exception {
        String keyspace = topic.replace('-', '_');
        stack.createTopics(CORES, topic, topic + "-dead");
        Map<String, Item> byId = new HashMap<>();
        Map<String, Integer> sizes = produceAll(stack, topic, records, byId);
        long started = System.nanoTime();
        long heap = runWatchingHeap(stack, specs, topic, keyspace);
        double seconds = (System.nanoTime() - started) / 1e9;
        try (CqlSession session = settings(stack, keyspace).openSession()) {
            List<String> ids = new ArrayList<>();
            List<long[]> times = rowTimes(session, keyspace, ids);
            List<String> goodIds = new ArrayList<>();
            List<long[]> goodTimes = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (!byId.get(ids.get(i)).fileName().startsWith(HOSTILE)) {
                    goodIds.add(ids.get(i));
                    goodTimes.add(times.get(i));
                }
            }
            if (goodIds.size() != goodRecords) {
                throw new IllegalStateException(
                        topic
                                + " stored "
                                + goodIds.size()
                                + " of "
                                + goodRecords
                                + " good images");
            }
            return new MeasuredRun(
                    topic,
                    window(goodTimes, goodIds, sizes, seconds).imagesPerSecond(),
                    ids.size(),
                    heap);
        }
    }

    private static double mean(List<MeasuredRun> runs) {
        return runs.stream().mapToDouble(MeasuredRun::goodPerSecond).average().orElseThrow();
    }

    private static long maxHeap(List<MeasuredRun> runs) {
        return runs.stream().mapToLong(MeasuredRun::heapAfterGc).max().orElseThrow();
    }

    private static String rates(List<MeasuredRun> runs) {
        return runs.stream()
                .map(r -> String.format(Locale.ROOT, "%.1f", r.goodPerSecond()))
                .collect(java.util.stream.Collectors.joining(" / "));
    }

    /** A bounded job run; returns the largest heap in use after GC meanwhile. */
    private static long runWatchingHeap(
            Services stack, Map<Domain, ModelSpec> specs, String topic, String keyspace)
            throws Exception {
        HeapWatch heap = HeapWatch.start();
        try {
            runBoundedJob(stack, specs, topic, keyspace);
        } finally {
            heap.stop();
        }
        return heap.maxAfterGc();
    }

    private static Map<String, String> jobOptions(
            Services stack, Map<Domain, ModelSpec> specs, String topic, String keyspace) {
        Map<String, String> options =
                LocalJobOptions.of(
                        stack.bootstrapServers(),
                        stack.cassandraContactPoint(),
                        topic,
                        topic + "-dead",
                        keyspace,
                        specs);
        options.put("job.checkpoint-interval", CHECKPOINT_INTERVAL);
        options.putAll(JOB_OPTIONS);
        return options;
    }

    /** The local environment with the job built in, bounded or not, on the given topic. */
    static StreamExecutionEnvironment jobEnvironment(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            String keyspace,
            boolean bounded)
            throws Exception {
        Map<String, String> options = jobOptions(stack, specs, topic, keyspace);
        if (bounded) {
            options.put("kafka.bounded", "true");
        }
        StreamExecutionEnvironment env = environment();
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        return env;
    }

    /** The configuration of the job {@link #jobEnvironment} builds (unbounded). */
    static JobConfig jobConfig(
            Services stack, Map<Domain, ModelSpec> specs, String topic, String keyspace) {
        return JobConfig.fromMap(jobOptions(stack, specs, topic, keyspace));
    }

    /** Where the local cluster's checkpoints go (a directory per job id). */
    static Path checkpointDirectory() {
        return checkpointDirectory;
    }

    private static StreamExecutionEnvironment environment() {
        Configuration configuration = new Configuration();
        configuration.setString("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        configuration.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDirectory.toUri().toString());
        configuration.addAll(stateBackendOptions);
        // A measured run must not hide failures behind restarts (the flood arm needs zero).
        configuration.setString("restart-strategy.type", "none");
        return StreamExecutionEnvironment.createLocalEnvironment(CORES, configuration);
    }

    private static void runBoundedJob(
            Services stack, Map<Domain, ModelSpec> specs, String topic, String keyspace)
            throws Exception {
        jobEnvironment(stack, specs, topic, keyspace, true).execute("e2e-bench-job");
    }

    /** Rows of a keyspace: (write time micros, received at millis, image id). */
    static List<long[]> rowTimes(CqlSession session, String keyspace, List<String> ids) {
        List<long[]> times = new ArrayList<>();
        for (Row row :
                session.execute(
                        "SELECT image_id, received_at, writetime(top_label) AS written FROM "
                                + keyspace
                                + ".results")) {
            times.add(
                    new long[] {
                        row.getLong("written"), row.getInstant("received_at").toEpochMilli()
                    });
            ids.add(row.getString("image_id"));
        }
        return times;
    }

    /**
     * The job's sustained phase: CPU snapshots at its ends, the rows between, the profiles; the
     * measured images' throughput over the whole run; and, with a local node, its CPU over the
     * whole run settled ({@link SettledStorage}) for all {@code storedRows}, warm-up ones included.
     */
    record ProfiledRun(
            String summary,
            Processes.Snapshot before,
            Processes.Snapshot after,
            long rows,
            Throughput throughput,
            SettledStorage.Settled storage,
            long storedRows) {}

    /**
     * Runs the bounded job like {@link #runBoundedJob} over its topic (warm-up records, then the
     * measured ones, {@code sizes} by image id in the order produced), and while the rows of the
     * measured images from 10 % to 90 % arrive (the sustained phase, without warm-up and drain)
     * takes CPU snapshots of every process and, with {@code profile}, CPU-profiles this JVM and
     * Cassandra ({@link CpuProfile}). The window's rows are those written between the two
     * snapshots; the rows, read once after the job, also give its throughput ({@code startedNanos}
     * to the job's end is its time in all).
     */
    private static ProfiledRun runProfiledJob(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            String keyspace,
            boolean profile,
            Map<String, Integer> sizes,
            long startedNanos,
            Processes processes,
            SettledStorage settled,
            Path profileFiles)
            throws Exception {
        StreamExecutionEnvironment env = jobEnvironment(stack, specs, topic, keyspace, true);
        // The caller made the schema before the machine got quiet, so building the job's only
        // re-asks for it (IF NOT EXISTS) and the arm's settled span starts here.
        Processes.Snapshot armStart = settled != null ? settled.start() : null;
        // Profilers set up before the job starts, so their own start-up costs fall in the warm-up.
        CpuProfile job = profile ? CpuProfile.ofThisJvm() : null;
        CpuProfile cassandra =
                profile && stack.local() != null
                        ? CpuProfile.ofProcess(stack.local().cassandra().pid())
                        : null;
        // The local MiniCluster shuts down as the bounded job ends, so ask the result, not the
        // status.
        CompletableFuture<JobExecutionResult> result =
                env.executeAsync("e2e-bench-job").getJobExecutionResult();
        Processes.Snapshot before = null;
        Processes.Snapshot after = null;
        String summary = "(no profile)\n";
        // The window opens when the measured image a tenth of the way in has its row and closes
        // at the one nine tenths in (any of four neighbours, so one slow image does not hold it).
        List<String> measuredIds = new ArrayList<>(sizes.keySet());
        int images = measuredIds.size();
        List<String> startMarkers = markers(measuredIds, images / 10);
        List<String> endMarkers = markers(measuredIds, images * 9 / 10);
        long fromMicros = 0;
        long toMicros = 0;
        List<long[]> times;
        List<String> ids = new ArrayList<>();
        double seconds;
        SettledStorage.Settled storage;
        try (CqlSession session = settings(stack, keyspace).openSession()) {
            RowProgress progress = new RowProgress(session, keyspace);
            while (!result.isDone()) {
                if (before == null && progress.storedOf(startMarkers) > 0) {
                    before = processes.snapshot();
                    fromMicros = RowProgress.nowMicros();
                    if (profile) {
                        job.start();
                        if (cassandra != null) {
                            cassandra.start();
                        }
                    }
                } else if (before != null && after == null && progress.storedOf(endMarkers) > 0) {
                    after = processes.snapshot();
                    toMicros = RowProgress.nowMicros();
                    if (profile) {
                        String name = profileFiles.getFileName().toString();
                        summary = "This JVM:\n\n" + job.stop(profileFiles.getParent(), name);
                        if (cassandra != null) {
                            summary +=
                                    "\nCassandra:\n\n"
                                            + cassandra.stop(
                                                    profileFiles.getParent(), name + "-cassandra");
                        }
                    }
                }
                // A point read of four partitions: cheap enough to ask often.
                Thread.sleep(100);
            }
            result.get();
            seconds = (System.nanoTime() - startedNanos) / 1e9;
            // Before the rows are read back, so the harness's own read is not charged to it.
            storage = settled != null ? settled.settle(armStart, keyspace) : null;
            times = rowTimes(session, keyspace, ids);
        }
        if (after == null) {
            throw new IllegalStateException(
                    "The job ended before its measured window; use more --images");
        }
        long rows = RowProgress.rowsWrittenBetween(times, fromMicros, toMicros);
        // The markers a tenth and nine tenths in enclose about 80 % of the measured rows; far
        // fewer means the window closed on an end marker stored out of order, not a measurement.
        if (rows < images / 2) {
            throw new IllegalStateException(
                    "The measured window held only " + rows + " rows of " + images + " images");
        }
        return new ProfiledRun(
                summary,
                before,
                after,
                rows,
                throughput(times, ids, sizes, seconds),
                storage,
                times.size());
    }

    /** Four consecutive image ids from {@code position} (fewer at the end of the list). */
    static List<String> markers(List<String> ids, int position) {
        return ids.subList(position, Math.min(ids.size(), position + 4));
    }

    /** The measured images' throughput from all rows of a job's keyspace, as rowTimes read them. */
    private static Throughput throughput(
            List<long[]> allTimes,
            List<String> allIds,
            Map<String, Integer> sizes,
            double wallSeconds) {
        // Only the measured images, not the warm-up records before them.
        List<long[]> times = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < allIds.size(); i++) {
            if (sizes.containsKey(allIds.get(i))) {
                times.add(allTimes.get(i));
                ids.add(allIds.get(i));
            }
        }
        return window(times, ids, sizes, wallSeconds);
    }

    /** Images per second within each tenth of the rows (in write order): the warm-up curve. */
    private static String tenths(List<long[]> times, Integer[] order) {
        List<String> rates = new ArrayList<>();
        for (int tenth = 0; tenth < 10; tenth++) {
            int from = order.length * tenth / 10;
            int to = order.length * (tenth + 1) / 10 - 1;
            double seconds = (times.get(order[to])[0] - times.get(order[from])[0]) / 1e6;
            rates.add(String.format(Locale.ROOT, "%.0f", (to - from) / Math.max(seconds, 1e-3)));
        }
        return String.join(" ", rates);
    }

    /** Images and bytes written between the 10th and 90th percentile of the write times. */
    static Throughput window(
            List<long[]> times, List<String> ids, Map<String, Integer> sizes, double wallSeconds) {
        Integer[] order = new Integer[times.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(times.get(a)[0], times.get(b)[0]));
        int from = order.length / 10;
        int to = order.length * 9 / 10;
        double seconds = (times.get(order[to])[0] - times.get(order[from])[0]) / 1e6;
        long bytes = 0;
        for (int i = from; i < to; i++) {
            bytes += sizes.getOrDefault(ids.get(order[i]), 0);
        }
        System.out.printf(
                "%d rows; sustained %.1f img/s; by tenth of the rows: %s img/s%n",
                times.size(), (to - from) / seconds, tenths(times, order));
        return new Throughput((to - from) / seconds, bytes / seconds / 1e6, wallSeconds);
    }

    // ---------------------------------------------------------------- machine

    static CassandraSettings settings(Services stack, String keyspace) {
        return CassandraSettings.builder()
                .contactPoints(List.of(stack.cassandraContactPoint()))
                .keyspace(keyspace)
                .build();
    }

    /**
     * The job runs in this JVM, so it must run as a TaskManager does: every option of flink-conf/'s
     * {@code env.java.opts.taskmanager} is required on this JVM's command line, and every variable
     * of its {@code containerized.taskmanager.env} in its environment (the pom's e2e-bench
     * execution gives both), or the run stops here. With {@code taskManagerEnvironment} false a run
     * may go without the variables (to compare), and the report line names what it had.
     */
    private static String jobJvm(boolean taskManagerEnvironment) {
        Configuration flinkConf = ShippedFlinkConf.load();
        List<String> taskManager = FlinkClusterServer.taskManagerJvmOptions(flinkConf);
        List<String> running = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> missing =
                taskManager.stream().filter(option -> !running.contains(option)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(
                    "this JVM lacks the TaskManager options of flink-conf/ "
                            + missing
                            + "; add them to the e2e-bench execution in pom.xml");
        }
        // The compute arms and the peer open TensorFlow sessions in this JVM before the job: only
        // the TaskManager's environment gives the job's sessions the intra-op pools a TaskManager
        // gives them (SavedModelClassifier#sessionConfig).
        Map<String, String> environment =
                new TreeMap<>(FlinkClusterServer.taskManagerEnvironment(flinkConf));
        Map<String, String> actual = new TreeMap<>();
        environment.keySet().forEach(name -> actual.put(name, System.getenv(name)));
        boolean asTaskManager = actual.equals(environment);
        if (!asTaskManager && taskManagerEnvironment) {
            throw new IllegalStateException(
                    "this JVM lacks the TaskManager environment of flink-conf/ "
                            + environment
                            + " (it has "
                            + actual
                            + "); add it to the e2e-bench execution in pom.xml, or pass"
                            + " --taskmanager-environment false to measure without it");
        }
        return String.format(
                Locale.ROOT,
                asTaskManager
                        ? "Job JVM: %d MiB heap, flink-conf/'s TaskManager options %s and"
                                + " environment %s%n"
                        : "Job JVM: %d MiB heap, flink-conf/'s TaskManager options %s; NOT the"
                                + " TaskManager's environment %s but %s (--taskmanager-environment"
                                + " false)%n",
                Runtime.getRuntime().maxMemory() / 1024 / 1024,
                String.join(" ", taskManager),
                environment,
                actual);
    }

    private static String machine() throws IOException {
        String cpu =
                Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                        .filter(line -> line.startsWith("model name"))
                        .findFirst()
                        .map(line -> line.substring(line.indexOf(':') + 1).trim())
                        .orElse("unknown CPU");
        long memory =
                Files.readAllLines(Path.of("/proc/meminfo")).stream()
                        .filter(line -> line.startsWith("MemTotal"))
                        .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                        .findFirst()
                        .orElse(0L);
        return String.format(
                Locale.ROOT,
                "Machine: %s, %d cores, %.1f GiB, Java %s, %s%n",
                cpu,
                CORES,
                memory / 1024.0 / 1024,
                System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version"));
    }
}
