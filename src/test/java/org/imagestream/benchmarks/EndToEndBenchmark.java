package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.config.JobConfig;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DecodedPixels;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.decode.TfJpegDecoder;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.Prediction;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.job.ImageClassificationJob;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Classification;
import org.imagestream.model.Domain;
import org.imagestream.samples.DicomWriter;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SyntheticScenes;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultStatements;
import org.imagestream.testing.HeapWatch;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.RecordIds;
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
 * sustained phase is CPU-profiled ({@link CpuProfile}), the peer's per thread.
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@e2e-bench -Dbench.args="--model seed"} ({@code seed}
 * = the 32x32 seed CNN, {@code inception} = {@link InceptionSizedModel}, or a model directory or
 * root with a {@code model.json}, e.g. the imported nsfwjs MobileNetV2).
 */
public final class EndToEndBenchmark {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

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
    record Item(Domain domain, String fileName, String contentType, byte[] bytes) {}

    public static void main(String[] args) throws Exception {
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
        int latencyWarmupSeconds =
                Integer.parseInt(arguments.getOrDefault("--latency-warmup-seconds", "30"));
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

        Map<Domain, ModelSpec> specs =
                new EnumMap<>(
                        ModelStore.ensureSeedModels(Path.of("target/models").toAbsolutePath()));
        switch (model) {
            case "seed" -> {}
            case "inception" ->
                    specs.put(
                            Domain.SOCIAL,
                            InceptionSizedModel.ensure(
                                    Path.of("target/models/inception-sized/1").toAbsolutePath()));
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
                JOB_OPTIONS.isEmpty()
                        ? "Job options: defaults\n\n"
                        : "Job options: " + JOB_OPTIONS + "\n\n");
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
        Map<Integer, Double> raw = rawCeiling(social, items);
        double ceiling = raw.values().stream().mapToDouble(d -> d).max().orElseThrow();
        double[] floorCpuMillis = new double[2]; // all, of which JIT compilers
        double floor = computeFloor(specs, items, floorCpuMillis);

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
                                .workDirectory(Path.of("target/bench-work/e2e"))
                                .cassandraSettings(cassandraSettings)
                                .start()
                        : null;
        Services stack =
                local != null
                        ? new Services(
                                local.bootstrapServers(), local.cassandraContactPoint(), local)
                        : new Services(externalKafka, externalCassandra, null);
        try {
            Processes processes = new Processes(stack);
            String peerThreads = "";
            String notQuiet = "";
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
            notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "job");
            System.out.println(
                    "Job run on " + warmupImages + " warm-up and " + images + " measured images");
            long started = System.nanoTime();
            ProfiledRun profiled =
                    runProfiledJob(
                            stack,
                            specs,
                            topic,
                            "e2e_job_" + suffix,
                            warmupImages,
                            images,
                            profile,
                            processes,
                            out.resolve(social.name() + "-job"));
            double seconds = (System.nanoTime() - started) / 1e9;
            Throughput job = throughput(stack, "e2e_job_" + suffix, sizes, seconds);
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
                double offered = job.imagesPerSecond() * LIVE_RATE_OFFERED;
                LiveRate liveRate =
                        liveRate(
                                pacedRun(
                                        stack,
                                        specs,
                                        mix,
                                        "live-rate",
                                        offered,
                                        latencyWarmupSeconds,
                                        rateSeconds,
                                        suffix + "live",
                                        processes),
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
                LatencyRun run =
                        latency(
                                pacedRun(
                                        stack,
                                        specs,
                                        mix,
                                        "latency-" + percent,
                                        rate,
                                        latencyWarmupSeconds,
                                        rateSeconds,
                                        suffix + percent,
                                        processes),
                                percent,
                                rate,
                                rateSeconds,
                                processes);
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
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "job, second run");
                System.out.println("Second job run on " + againWarmup + " warm-up images");
                long againStarted = System.nanoTime();
                again =
                        runProfiledJob(
                                stack,
                                specs,
                                againTopic,
                                "e2e_again_" + suffix,
                                againWarmup,
                                images,
                                false,
                                processes,
                                null);
                jobAgain =
                        throughput(
                                stack,
                                "e2e_again_" + suffix,
                                againSizes,
                                (System.nanoTime() - againStarted) / 1e9);
            }

            // The per-record peer on the first peerImages of the same records, after its own
            // warm-up records, in a topic of its own.
            int peerWarmup = Math.min(peerImages, warmupImages / 4);
            String peerTopic = "e2e-peer-" + suffix;
            PeerRun peer = null;
            if (!jobOnly) {
                stack.createTopics(CORES, peerTopic);
                produceAll(stack, peerTopic, mix.items(peerWarmup));
                Map<String, Integer> peerSizes =
                        produceAll(stack, peerTopic, items.subList(0, peerImages));
                // Cassandra compacts what the job and the latency runs wrote for a while.
                notQuiet += processes.awaitQuiet(QUIET_TIMEOUT, "peer");
                peer =
                        runPeer(
                                stack,
                                specs,
                                peerTopic,
                                "e2e_peer_" + suffix,
                                peerWarmup,
                                peerSizes,
                                processes);
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
            }
            report.append('\n');
            report.append("CPU profiles while the job stored rows 10-90 %.\n\n");
            report.append(profiled.summary());
            if (!peerThreads.isEmpty()) {
                report.append("\nCPU per thread while the peer stored its measured records.\n\n");
                report.append(peerThreads);
            }
        } finally {
            if (local != null) {
                local.close();
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

    // ---------------------------------------------------------------- the mix

    /** Distinct records from a few base files of each kind, each with a unique marker. */
    static final class Mix {
        private final List<byte[]> jpegs = new ArrayList<>();
        private final List<byte[]> geotiffs = new ArrayList<>();
        private final List<byte[]> dicoms = new ArrayList<>();
        private int serial;
        int smallestJpeg = Integer.MAX_VALUE;
        int largestJpeg;
        int geotiffSize;
        int dicomSize;

        Mix(Random random) throws IOException {
            for (int i = 0; i < 12; i++) {
                int width = 800 + random.nextInt(1001);
                int height = width * 3 / 4;
                int amplitude = 2 + random.nextInt(6); // sensor noise: sets the file size
                BufferedImage photo =
                        SyntheticScenes.noisyPhoto(i % 4, width, height, amplitude, random);
                ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
                ImageIO.write(photo, "jpeg", jpeg);
                jpegs.add(jpeg.toByteArray());
                smallestJpeg = Math.min(smallestJpeg, jpeg.size());
                largestJpeg = Math.max(largestJpeg, jpeg.size());
                geotiffs.add(SampleImages.generate(Domain.REMOTE_SENSING, i, random).bytes());
                short[] slice = SyntheticScenes.medicalSlice(i % 4, 512, random);
                dicoms.add(DicomWriter.writeCt(slice, 512, 512, 40, 400, -1024, 1));
            }
            geotiffSize = geotiffs.get(0).length;
            dicomSize = dicoms.get(0).length;
        }

        List<Item> items(int count) {
            List<Item> items = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                items.add(next());
            }
            return items;
        }

        /** 2 social : 1 remote sensing : 1 medical. */
        Item next() {
            int n = serial++;
            byte[] marker = ("imagestream-bench " + n).getBytes(StandardCharsets.US_ASCII);
            return switch (n % 4) {
                case 0, 1 ->
                        new Item(
                                Domain.SOCIAL,
                                "photo-" + n + ".jpg",
                                "image/jpeg",
                                withJpegComment(jpegs.get(n % jpegs.size()), marker));
                case 2 ->
                        new Item(
                                Domain.REMOTE_SENSING,
                                "tile-" + n + ".tif",
                                "image/tiff",
                                concat(geotiffs.get(n % geotiffs.size()), marker));
                default ->
                        new Item(
                                Domain.MEDICAL,
                                "slice-" + n + ".dcm",
                                "application/dicom",
                                withDicomPadding(dicoms.get(n % dicoms.size()), marker));
            };
        }

        /** A COM segment right after SOI: changes the bytes, not the pixels. */
        private static byte[] withJpegComment(byte[] jpeg, byte[] text) {
            ByteBuffer out = ByteBuffer.allocate(jpeg.length + 4 + text.length);
            out.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xFE);
            out.putShort((short) (text.length + 2)).put(text).put(jpeg, 2, jpeg.length - 2);
            return out.array();
        }

        /** Data Set Trailing Padding (FFFC,FFFC) OB after the pixels (explicit VR LE). */
        private static byte[] withDicomPadding(byte[] dicom, byte[] text) {
            int length = text.length + (text.length & 1);
            ByteBuffer out =
                    ByteBuffer.allocate(dicom.length + 12 + length).order(ByteOrder.LITTLE_ENDIAN);
            out.put(dicom).putShort((short) 0xFFFC).putShort((short) 0xFFFC);
            out.put((byte) 'O').put((byte) 'B').putShort((short) 0).putInt(length).put(text);
            return out.array();
        }

        /** Bytes after a TIFF's last referenced byte are ignored by readers. */
        private static byte[] concat(byte[] a, byte[] b) {
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
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

    // ---------------------------------------------------------------- (a) and (b)

    private static Map<Integer, Double> rawCeiling(ModelSpec social, List<Item> items)
            throws Exception {
        List<float[]> tensors = new ArrayList<>();
        try (TfJpegDecoder jpeg = new TfJpegDecoder()) {
            for (Item item : items) {
                if (item.domain() == Domain.SOCIAL && tensors.size() < 256) {
                    tensors.add(decode(item, social, jpeg).pixels());
                }
            }
        }
        Map<Integer, Double> perBatch = new LinkedHashMap<>();
        try (SavedModelClassifier classifier = SavedModelClassifier.open(social)) {
            for (int batch : new int[] {1, 32, 128}) {
                List<float[]> input = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    input.add(tensors.get(i % tensors.size()));
                }
                classifier.classify(input); // warm-up
                long started = System.nanoTime();
                long done = 0;
                while (System.nanoTime() - started < 8_000_000_000L) {
                    classifier.classify(input);
                    done += batch;
                }
                perBatch.put(batch, done / ((System.nanoTime() - started) / 1e9));
                System.out.printf("ceiling (a) batch %d: %.1f img/s%n", batch, perBatch.get(batch));
            }
        }
        return perBatch;
    }

    /**
     * Decodes chunk k+1 on {@link #CORES} threads while chunk k is classified (per domain, one
     * batch), over the whole mix after one warm-up chunk.
     */
    private static double computeFloor(
            Map<Domain, ModelSpec> specs, List<Item> items, double[] cpuMillisPerImage)
            throws Exception {
        int chunk = 128;
        ExecutorService pool = Executors.newFixedThreadPool(CORES);
        ThreadLocal<TfJpegDecoder> jpegs = ThreadLocal.withInitial(TfJpegDecoder::new);
        Map<Domain, SavedModelClassifier> classifiers = new EnumMap<>(Domain.class);
        try {
            for (Map.Entry<Domain, ModelSpec> spec : specs.entrySet()) {
                classifiers.put(spec.getKey(), SavedModelClassifier.open(spec.getValue()));
            }
            List<Future<DecodedPixels>> next = submit(pool, jpegs, specs, items, 0, chunk);
            long started = 0;
            double cpuStart = 0;
            Map<Long, Long> compilersAtStart = Map.of();
            int counted = 0;
            for (int from = 0; from < items.size(); from += chunk) {
                List<Future<DecodedPixels>> current = next;
                int to = Math.min(items.size(), from + chunk);
                next = submit(pool, jpegs, specs, items, to, to + chunk);
                Map<Domain, List<float[]>> batches = new EnumMap<>(Domain.class);
                for (int i = from; i < to; i++) {
                    batches.computeIfAbsent(items.get(i).domain(), d -> new ArrayList<>())
                            .add(current.get(i - from).get().pixels());
                }
                batches.forEach((domain, batch) -> classifiers.get(domain).classify(batch));
                if (from == 0) {
                    started = System.nanoTime(); // the first chunk warms up
                    cpuStart = CpuProfile.cpuSeconds(ProcessHandle.current().pid());
                    compilersAtStart = CpuProfile.compilerTicks(ProcessHandle.current().pid());
                } else {
                    counted += to - from;
                }
            }
            double floor = counted / ((System.nanoTime() - started) / 1e9);
            cpuMillisPerImage[0] =
                    (CpuProfile.cpuSeconds(ProcessHandle.current().pid()) - cpuStart)
                            * 1000
                            / counted;
            cpuMillisPerImage[1] =
                    CpuProfile.compilerSeconds(
                                    compilersAtStart,
                                    CpuProfile.compilerTicks(ProcessHandle.current().pid()))
                            * 1000
                            / counted;
            System.out.printf(
                    "compute floor (b): %.1f img/s, %.1f ms CPU/image, of which JIT compilers"
                            + " %.1f%n",
                    floor, cpuMillisPerImage[0], cpuMillisPerImage[1]);
            return floor;
        } finally {
            pool.shutdownNow();
            classifiers.values().forEach(SavedModelClassifier::close);
        }
    }

    private static List<Future<DecodedPixels>> submit(
            ExecutorService pool,
            ThreadLocal<TfJpegDecoder> jpegs,
            Map<Domain, ModelSpec> specs,
            List<Item> items,
            int from,
            int to) {
        List<Future<DecodedPixels>> futures = new ArrayList<>();
        for (int i = from; i < Math.min(to, items.size()); i++) {
            Item item = items.get(i);
            futures.add(pool.submit(() -> decode(item, specs.get(item.domain()), jpegs.get())));
        }
        return futures;
    }

    private static DecodedPixels decode(Item item, ModelSpec spec, TfJpegDecoder jpeg)
            throws Exception {
        return ImageDecoders.decode(
                item.domain(), item.bytes(), spec.modelInput(), DecodeLimits.DEFAULT, jpeg);
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
        Map<String, Integer> sizes = new HashMap<>();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (Item item : items) {
                sent.add(
                        publisher.publish(
                                topic,
                                item.domain().id(),
                                item.fileName(),
                                item.contentType(),
                                item.bytes()));
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
        options.put("job.checkpoint-interval", "5s");
        options.putAll(JOB_OPTIONS);
        return options;
    }

    /** The local environment with the job built in, bounded or not, on the given topic. */
    private static StreamExecutionEnvironment jobEnvironment(
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

    private static StreamExecutionEnvironment environment() {
        Configuration configuration = new Configuration();
        configuration.setString("taskmanager.numberOfTaskSlots", Integer.toString(CORES));
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
    private static List<long[]> rowTimes(CqlSession session, String keyspace, List<String> ids) {
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

    /** The job's sustained phase: CPU snapshots at its ends, the rows between, the profiles. */
    record ProfiledRun(
            String summary, Processes.Snapshot before, Processes.Snapshot after, long rows) {}

    /**
     * Runs the bounded job like {@link #runBoundedJob} over {@code warmup} then {@code images}
     * records, and while the rows of the measured images from 10 % to 90 % arrive (the sustained
     * phase, without warm-up and drain) takes CPU snapshots of every process and, with {@code
     * profile}, CPU-profiles this JVM and Cassandra ({@link CpuProfile}).
     */
    private static ProfiledRun runProfiledJob(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            String keyspace,
            int warmup,
            int images,
            boolean profile,
            Processes processes,
            Path profileFiles)
            throws Exception {
        StreamExecutionEnvironment env = jobEnvironment(stack, specs, topic, keyspace, true);
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
        long rowsAtStart = 0;
        long rowsAtEnd = 0;
        String summary = "(no profile)\n";
        try (CqlSession session = settings(stack, keyspace).openSession()) {
            while (!result.isDone()) {
                long rows = resultRows(session, keyspace);
                if (before == null && rows >= warmup + images / 10) {
                    before = processes.snapshot();
                    rowsAtStart = rows;
                    if (profile) {
                        job.start();
                        if (cassandra != null) {
                            cassandra.start();
                        }
                    }
                } else if (before != null && after == null && rows >= warmup + images * 9L / 10) {
                    after = processes.snapshot();
                    rowsAtEnd = rows;
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
                // count(*) reads every row: once a second keeps it a small part of
                // Cassandra's load.
                Thread.sleep(1_000);
            }
        }
        result.get();
        if (after == null) {
            throw new IllegalStateException(
                    "The job ended before its measured window; use more --images");
        }
        return new ProfiledRun(summary, before, after, rowsAtEnd - rowsAtStart);
    }

    /** Result rows so far; 0 until the job has created the table. */
    private static long resultRows(CqlSession session, String keyspace) {
        try {
            return session.execute("SELECT count(*) FROM " + keyspace + ".results")
                    .one()
                    .getLong(0);
        } catch (RuntimeException notYet) {
            return 0;
        }
    }

    private static Throughput throughput(
            Services stack, String keyspace, Map<String, Integer> sizes, double wallSeconds) {
        try (CqlSession session = settings(stack, keyspace).openSession()) {
            List<String> ids = new ArrayList<>();
            List<long[]> times = rowTimes(session, keyspace, ids);
            // Only the measured images, not the warm-up records before them.
            for (int i = ids.size() - 1; i >= 0; i--) {
                if (!sizes.containsKey(ids.get(i))) {
                    ids.remove(i);
                    times.remove(i);
                }
            }
            return window(times, ids, sizes, wallSeconds);
        }
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
    private static Throughput window(
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

    /**
     * A latency run's report row, and its processes' CPU from the first measured record's produce
     * to the last row (the producer included: it shares the cores with the job).
     */
    record LatencyRun(String row, String resources) {}

    /**
     * A job fed by a paced producer: its rows (write time micros, Kafka timestamp millis) in
     * produce order, the wall-clock span of the measured records' production, and CPU snapshots
     * from the first measured record's produce to the last row seen.
     */
    record PacedRun(
            List<long[]> times,
            int warmup,
            int total,
            long rows,
            double producedRate,
            long measuredFromMillis,
            long producedUntilMillis,
            Processes.Snapshot before,
            Processes.Snapshot after,
            double measuredSeconds) {}

    /** Runs the job on a topic a producer fills at {@code rate}: warm-up records, then measured. */
    private static PacedRun pacedRun(
            Services stack,
            Map<Domain, ModelSpec> specs,
            Mix mix,
            String name,
            double rate,
            int warmupSeconds,
            int seconds,
            String suffix,
            Processes processes)
            throws Exception {
        String topic = "e2e-paced-" + suffix;
        String keyspace = "e2e_paced_" + suffix;
        stack.createTopics(CORES, topic, topic + "-dead");
        JobClient client =
                jobEnvironment(stack, specs, topic, keyspace, false)
                        .executeAsync("e2e-bench-" + name);
        int warmup = (int) Math.round(rate * warmupSeconds);
        int total = warmup + (int) Math.round(rate * seconds);
        try (ImagePublisher publisher =
                        ImagePublisher.forBootstrapServers(stack.bootstrapServers());
                CqlSession session = settings(stack, keyspace).openSession()) {
            // Let the job start and the schema appear before the clock starts.
            Thread.sleep(8_000);
            long started = System.nanoTime();
            Processes.Snapshot before = null;
            long measuredFromMillis = 0;
            for (int i = 0; i < total; i++) {
                if (i == warmup) {
                    before = processes.snapshot();
                    measuredFromMillis = System.currentTimeMillis();
                }
                long due = started + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                // One at a time: a run's records (13,000 at 230 img/s) did not fit the heap.
                Item item = mix.next();
                publisher.publish(
                        topic,
                        item.domain().id(),
                        item.fileName(),
                        item.contentType(),
                        item.bytes());
            }
            publisher.flush();
            long producedUntilMillis = System.currentTimeMillis();
            double producedSeconds = (System.nanoTime() - started) / 1e9;
            long deadline = System.currentTimeMillis() + 180_000;
            long rows = 0;
            while (System.currentTimeMillis() < deadline) {
                rows = resultRows(session, keyspace);
                if (rows >= total) {
                    break;
                }
                Thread.sleep(250);
            }
            Processes.Snapshot after = processes.snapshot();
            double measuredSeconds = (System.currentTimeMillis() - measuredFromMillis) / 1000.0;
            client.cancel().get(60, TimeUnit.SECONDS);
            List<long[]> times = rowTimes(session, keyspace, new ArrayList<>());
            times.sort((a, b) -> Long.compare(a[1], b[1]));
            return new PacedRun(
                    times,
                    warmup,
                    total,
                    rows,
                    total / producedSeconds,
                    measuredFromMillis,
                    producedUntilMillis,
                    before,
                    after,
                    measuredSeconds);
        }
    }

    /** The rate the job sustained while a producer fed it, and its lines for the report. */
    record LiveRate(double imagesPerSecond, String report) {}

    /**
     * The rate the job sustains while a producer on the same cores feeds it, which is what the
     * latency runs offer shares of: the producer offers {@code rate} (above the pre-loaded rate),
     * and the rows written while the measured records were being produced are counted. The job
     * keeps a backlog throughout, or the figure is only the producer's pace (said in the report).
     */
    private static LiveRate liveRate(
            PacedRun run, double rate, int warmupSeconds, Processes processes) {
        long written = 0;
        for (long[] row : run.times()) {
            long writtenMillis = row[0] / 1000;
            if (writtenMillis >= run.measuredFromMillis()
                    && writtenMillis < run.producedUntilMillis()) {
                written++;
            }
        }
        double windowSeconds = (run.producedUntilMillis() - run.measuredFromMillis()) / 1000.0;
        double sustained = written / windowSeconds;
        // Records produced but not yet stored when production ended: the backlog.
        long backlog =
                run.times().stream()
                        .filter(row -> row[0] / 1000 >= run.producedUntilMillis())
                        .count();
        String line =
                String.format(
                        Locale.ROOT,
                        "Sustained while producing (the latency runs' reference): %.1f img/s, rows"
                                + " stored while a producer on the same cores offered %.1f img/s"
                                + " (achieved %.1f) for %.0f s after %d s of warm-up; %d records"
                                + " were still waiting when it stopped%s%n",
                        sustained,
                        rate,
                        run.producedRate(),
                        windowSeconds,
                        warmupSeconds,
                        backlog,
                        backlog < run.producedRate()
                                ? " (less than a second's worth: the job kept up, so this is a"
                                        + " lower bound)"
                                : "");
        System.out.print(line);
        // The CPU window runs to the last row, so it holds every row stored after the first
        // measured record was produced (the warm-up's backlog included).
        long stored =
                run.times().stream()
                        .filter(row -> row[0] / 1000 >= run.measuredFromMillis())
                        .count();
        return new LiveRate(
                sustained,
                line + processes.table(run.before(), run.after(), stored, "live rate", sustained));
    }

    /** A latency run's figures from its paced run: the histogram, per-second maxima and CPU. */
    private static LatencyRun latency(
            PacedRun run, int percent, double rate, int seconds, Processes processes) {
        List<long[]> times = run.times();
        Histogram histogram = new Histogram(3_600_000L, 3);
        // In produce order: the rows of the records after the warm-up ones. The slowest row per
        // second of produce time shows whether the tail comes in periodic stalls.
        int first = Math.min(run.warmup(), times.size());
        long[] slowestPerSecond = new long[seconds + 2];
        for (int i = first; i < times.size(); i++) {
            long millis = Math.max(0, times.get(i)[0] / 1000 - times.get(i)[1]);
            histogram.recordValue(millis);
            int second = (int) ((times.get(i)[1] - times.get(first)[1]) / 1000);
            int bucket = Math.min(slowestPerSecond.length - 1, second);
            slowestPerSecond[bucket] = Math.max(slowestPerSecond[bucket], millis);
        }
        System.out.println(
                "latency "
                        + percent
                        + " %: slowest row per second of produce time (ms): "
                        + Arrays.toString(slowestPerSecond));
        String line =
                String.format(
                        Locale.ROOT,
                        "| %d %% (%.1f img/s) | %.1f img/s | %d | %d | %d | %d | %d of %d |%n",
                        percent,
                        rate,
                        run.producedRate(),
                        histogram.getValueAtPercentile(50),
                        histogram.getValueAtPercentile(95),
                        histogram.getValueAtPercentile(99),
                        histogram.getMaxValue(),
                        run.rows(),
                        run.total());
        System.out.print("latency " + line);
        int measured = run.total() - run.warmup();
        double busy = Processes.cpuSecondsBetween(run.before(), run.after());
        String resources =
                processes.table(
                                run.before(),
                                run.after(),
                                measured,
                                "latency " + percent + " %",
                                rate)
                        + String.format(
                                Locale.ROOT,
                                "- latency %d %%: all processes busy %.0f %% of %d cores over"
                                        + " %.1f s (first measured record produced to last row"
                                        + " seen)%n",
                                percent,
                                busy * 100 / CORES / run.measuredSeconds(),
                                CORES,
                                run.measuredSeconds());
        System.out.print(resources + Processes.threadTables(run.before(), run.after()));
        return new LatencyRun(line, resources);
    }

    // ---------------------------------------------------------------- the peer

    /** The peer's measured records: throughput, CPU snapshots at their ends. */
    record PeerRun(Throughput throughput, Processes.Snapshot before, Processes.Snapshot after) {}

    /**
     * The common per-record pattern: poll, decode, {@code Session.run} on one image, then write
     * synchronously (every blob chunk, the blob row, the result row, the listing row); over {@code
     * warmup} records of the topic, then the measured ones (whose ids {@code sizes} holds).
     */
    private static PeerRun runPeer(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            String keyspace,
            int warmup,
            Map<String, Integer> sizes,
            Processes processes)
            throws Exception {
        int count = warmup + sizes.size();
        Processes.Snapshot before = null;
        CassandraSettings settings = settings(stack, keyspace);
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "peer-" + keyspace);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        Map<Domain, SavedModelClassifier> classifiers = new EnumMap<>(Domain.class);
        long started = System.nanoTime();
        int done = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                properties,
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer());
                CqlSession session = settings.openSession();
                TfJpegDecoder jpeg = new TfJpegDecoder()) {
            CassandraSchema.create(session, settings);
            ResultStatements statements = new ResultStatements(session, settings.keyspace());
            for (Map.Entry<Domain, ModelSpec> spec : specs.entrySet()) {
                classifiers.put(spec.getKey(), SavedModelClassifier.open(spec.getValue()));
            }
            consumer.subscribe(List.of(topic));
            Map<String, String> measuredIds = new HashMap<>();
            sizes.keySet()
                    .forEach(
                            id ->
                                    measuredIds.put(
                                            id.contains("@")
                                                    ? id.substring(0, id.indexOf('@'))
                                                    : id,
                                            id));
            List<long[]> times = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            started = System.nanoTime();
            while (done < count) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    if (done >= count) {
                        break;
                    }
                    if (done == warmup) {
                        before = processes.snapshot();
                        started = System.nanoTime();
                    }
                    Domain domain = Domain.fromId(header(record, ImageHeaders.DOMAIN));
                    ModelSpec spec = specs.get(domain);
                    DecodedPixels pixels =
                            ImageDecoders.decode(
                                    domain,
                                    record.value(),
                                    spec.modelInput(),
                                    DecodeLimits.DEFAULT,
                                    jpeg);
                    Prediction prediction =
                            classifiers.get(domain).classify(List.of(pixels.pixels())).get(0);
                    Classification result = new Classification();
                    // The peer's own id (its rows are compared by count, not id).
                    result.imageId =
                            record.topic() + "-" + record.partition() + "-" + record.offset();
                    result.domain = domain.id();
                    result.sourceId = header(record, ImageHeaders.SOURCE_ID);
                    result.contentType = header(record, ImageHeaders.CONTENT_TYPE);
                    result.contentSha256 =
                            org.apache.commons.codec.digest.DigestUtils.sha256Hex(record.value());
                    result.modelName = spec.name();
                    result.modelVersion = spec.version();
                    result.labels = new ArrayList<>(prediction.labels());
                    result.scores = new ArrayList<>(prediction.scores());
                    result.width = pixels.originalWidth();
                    result.height = pixels.originalHeight();
                    result.receivedAtMillis = record.timestamp();
                    result.classifiedAtMillis = System.currentTimeMillis();
                    result.extras = new HashMap<>(pixels.extras());
                    byte[] bytes = record.value();
                    int chunks =
                            Math.max(
                                    1,
                                    (bytes.length + settings.chunkSize() - 1)
                                            / settings.chunkSize());
                    for (int i = 0; i < chunks; i++) {
                        int from = i * settings.chunkSize();
                        int to = Math.min(bytes.length, from + settings.chunkSize());
                        session.execute(
                                statements.chunk(
                                        result.contentSha256,
                                        i,
                                        ByteBuffer.wrap(Arrays.copyOfRange(bytes, from, to)),
                                        0));
                    }
                    session.execute(
                            statements.blob(
                                    result.contentSha256,
                                    bytes.length,
                                    settings.chunkSize(),
                                    chunks,
                                    result.contentType,
                                    null,
                                    0));
                    session.execute(statements.result(result, 0));
                    session.execute(statements.byLabel(result, 0));
                    // The measured images' ids carry the topic id ("@..."), the peer's do not.
                    String measured = measuredIds.get(result.imageId);
                    if (measured != null) {
                        times.add(new long[] {System.nanoTime() / 1000, record.timestamp()});
                        ids.add(measured);
                    }
                    done++;
                }
            }
            double wall = (System.nanoTime() - started) / 1e9;
            Throughput throughput = window(times, ids, sizes, wall);
            System.out.printf("peer: %.1f img/s%n", throughput.imagesPerSecond());
            return new PeerRun(throughput, before, processes.snapshot());
        } finally {
            classifiers.values().forEach(SavedModelClassifier::close);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- machine, processes

    private static CassandraSettings settings(Services stack, String keyspace) {
        return CassandraSettings.builder()
                .contactPoints(List.of(stack.cassandraContactPoint()))
                .keyspace(keyspace)
                .build();
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

    /** CPU time and RSS of this JVM, Kafka and Cassandra, from /proc. */
    static final class Processes {
        private final Map<String, Long> pids = new LinkedHashMap<>();

        /**
         * Per process: CPU seconds and RSS MB ({@code values}), and its JIT compiler threads' ticks
         * ({@code compilers}).
         */
        record Snapshot(
                Map<String, double[]> values,
                Map<String, Map<Long, Long>> compilers,
                Map<String, Map<Long, CpuProfile.ThreadSample>> threads) {}

        Processes(Services stack) {
            pids.put("benchmark JVM (Flink job, producer)", ProcessHandle.current().pid());
            if (stack.local() != null) {
                pids.put("Kafka", stack.local().kafka().pid());
                pids.put("Cassandra", stack.local().cassandra().pid());
            }
        }

        Snapshot snapshot() throws IOException {
            Map<String, double[]> values = new LinkedHashMap<>();
            Map<String, Map<Long, Long>> compilers = new LinkedHashMap<>();
            Map<String, Map<Long, CpuProfile.ThreadSample>> threads = new LinkedHashMap<>();
            for (Map.Entry<String, Long> pid : pids.entrySet()) {
                compilers.put(pid.getKey(), CpuProfile.compilerTicks(pid.getValue()));
                threads.put(pid.getKey(), CpuProfile.threadSamples(pid.getValue()));
                double cpu = CpuProfile.cpuSeconds(pid.getValue());
                long rssKb =
                        Files.readAllLines(Path.of("/proc/" + pid.getValue() + "/status")).stream()
                                .filter(line -> line.startsWith("VmRSS"))
                                .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                                .findFirst()
                                .orElse(0L);
                values.put(pid.getKey(), new double[] {cpu, rssKb / 1024.0});
            }
            return new Snapshot(values, compilers, threads);
        }

        /** Each process's CPU per thread group between two snapshots, as tables. */
        static String threadTables(Snapshot before, Snapshot after) {
            StringBuilder tables = new StringBuilder();
            before.threads()
                    .forEach(
                            (name, ticks) ->
                                    tables.append(name)
                                            .append(":\n\n")
                                            .append(
                                                    CpuProfile.threadTable(
                                                            ticks, after.threads().get(name))));
            return tables.toString();
        }

        /**
         * Waits until all the processes together use less than a tenth of a core for two seconds in
         * a row (or {@code timeout} passed): the compactions, memtable flushes and garbage
         * collection an earlier arm left behind are not counted in the next one's CPU. Only the
         * processes started here are watched (not an external Kafka or Cassandra).
         *
         * @return a line for the report when the machine did not get quiet, else ""
         */
        String awaitQuiet(Duration timeout, String arm) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            double last = allCpuSeconds();
            int quietSeconds = 0;
            while (quietSeconds < 2) {
                if (System.nanoTime() > deadline) {
                    String note =
                            "- "
                                    + arm
                                    + ": the machine was not quiet after "
                                    + timeout
                                    + "; measured anyway\n";
                    System.out.print(note);
                    return note;
                }
                Thread.sleep(1000);
                double now = allCpuSeconds();
                quietSeconds = now - last < 0.1 ? quietSeconds + 1 : 0;
                last = now;
            }
            return "";
        }

        private double allCpuSeconds() throws IOException {
            double seconds = 0;
            for (long pid : pids.values()) {
                seconds += CpuProfile.cpuSeconds(pid);
            }
            return seconds;
        }

        /** CPU seconds of one process's JIT compiler threads between two snapshots. */
        static double compilerSeconds(Snapshot before, Snapshot after, String name) {
            return CpuProfile.compilerSeconds(
                    before.compilers().get(name), after.compilers().get(name));
        }

        /** CPU seconds of one process between two snapshots (NaN if one lacks it). */
        static double cpuSeconds(Snapshot before, Snapshot after, String name) {
            double[] from = before.values().get(name);
            double[] to = after.values().get(name);
            return from == null || to == null ? Double.NaN : to[0] - from[0];
        }

        /** CPU milliseconds per image of one process between two snapshots. */
        double millisPerImage(Snapshot before, Snapshot after, long images, String name) {
            return cpuSeconds(before, after, name) * 1000 / images;
        }

        /** CPU milliseconds per image of one process's JIT compiler threads. */
        static double compilerMillisPerImage(
                Snapshot before, Snapshot after, long images, String name) {
            return compilerSeconds(before, after, name) * 1000 / images;
        }

        /** CPU seconds of all processes between two snapshots. */
        static double cpuSecondsBetween(Snapshot before, Snapshot after) {
            double seconds = 0;
            for (String name : before.values().keySet()) {
                seconds += cpuSeconds(before, after, name);
            }
            return seconds;
        }

        /** CPU milliseconds per image of all processes, with or without their JIT compilers. */
        double allMillisPerImage(
                Snapshot before, Snapshot after, long images, boolean withoutCompilers) {
            double millis = 0;
            for (String name : before.values().keySet()) {
                millis += millisPerImage(before, after, images, name);
                if (withoutCompilers) {
                    millis -= compilerMillisPerImage(before, after, images, name);
                }
            }
            return millis;
        }

        /** CPU per image and RSS of each process, and the rate all that CPU allows. */
        String table(Snapshot before, Snapshot after, long images, String arm, double rate) {
            StringBuilder table = new StringBuilder();
            for (String name : before.values().keySet()) {
                table.append(
                        String.format(
                                Locale.ROOT,
                                "- %s, %s: %.1f CPU s (%.1f ms/image, of which JIT compilers"
                                        + " %.1f), RSS %.0f MB%n",
                                arm,
                                name,
                                cpuSeconds(before, after, name),
                                millisPerImage(before, after, images, name),
                                compilerMillisPerImage(before, after, images, name),
                                after.values().get(name)[1]));
            }
            // The arms run one after another in one JVM, beside servers started for them: an
            // arm measured later finds code the earlier ones compiled (the peer runs last), so
            // CPU per image without the compilers is the like-for-like, steady-state figure.
            table.append(
                    String.format(
                            Locale.ROOT,
                            "- %s, all processes without their JIT compilers: %.1f ms/image%n",
                            arm,
                            allMillisPerImage(before, after, images, true)));
            double totalMillis = allMillisPerImage(before, after, images, false);
            double bound = CORES * 1000 / totalMillis;
            table.append(
                    String.format(
                            Locale.ROOT,
                            "- %s, all processes above: %.1f ms/image; machine bound %d cores / that ="
                                    + " %.0f img/s, achieved %.1f = %.0f %% of it%n",
                            arm,
                            totalMillis,
                            CORES,
                            bound,
                            rate,
                            100 * rate / bound));
            return table.toString();
        }
    }
}
