package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Classification;
import org.imagestream.storage.CassandraResultSink;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultStatements;

/**
 * Blob MB/s and result rows/s through {@link CassandraResultSink} (Flink, one subtask) versus the
 * driver's raw {@code executeAsync} issuing the same statements ({@link ResultStatements}) with the
 * same in-flight limit, on the same Cassandra node in the same run. Starts its own local Cassandra
 * (and Kafka) unless {@code --contact-point host:port} is given. Run: {@code mvn -q test-compile
 * exec:exec@storage-bench -Dbench.args="--images 2000 --size 102400"}; {@code --table-options true
 * [--variants A,B]} compares table options instead (all {@link CassandraSchema.TableOptions} by
 * default); {@code --node-settings true [--node-variants A,B] [--warmup-images W --warmup-passes P]
 * [--rehearsal false] [--windows K [--accumulate true]] [--paces 0,R,RxK] [--node-profile DIR]}
 * compares cassandra.yaml settings on a fresh node per run ({@link NodeSettingsComparison}; with
 * {@code --accumulate true} the K windows write into one growing keyspace; with {@code --paces} the
 * windows take turns at these paces ({@link Pace}: R images/s, in bursts of K, 0 as fast as the
 * in-flight limit allows); with {@code --node-profile}, each node's measured window is sampled by
 * async-profiler into DIR).
 */
public final class StorageBenchmark {
    private StorageBenchmark() {}

    public static void main(String[] args) throws Exception {
        int images = intArg(args, "--images", 2000);
        int size = intArg(args, "--size", 100 * 1024);
        int inFlight = intArg(args, "--in-flight", 64);
        int rounds = intArg(args, "--rounds", 4);
        String contactPoint = stringArg(args, "--contact-point", null);
        if (Boolean.parseBoolean(stringArg(args, "--node-settings", "false"))) {
            String variants = stringArg(args, "--node-variants", null);
            String profileDir = stringArg(args, "--node-profile", null);
            NodeSettingsComparison.run(
                    images,
                    intArg(args, "--warmup-images", 400),
                    intArg(args, "--warmup-passes", 16),
                    Boolean.parseBoolean(stringArg(args, "--rehearsal", "true")),
                    intArg(args, "--windows", 1),
                    Boolean.parseBoolean(stringArg(args, "--accumulate", "false")),
                    Arrays.stream(stringArg(args, "--paces", "0").split(","))
                            .map(Pace::parse)
                            .toList(),
                    inFlight,
                    rounds,
                    profileDir == null ? null : Path.of(profileDir),
                    variants == null
                            ? List.of(NodeSettingsComparison.Variant.values())
                            : Arrays.stream(variants.split(","))
                                    .map(NodeSettingsComparison.Variant::valueOf)
                                    .toList());
            return;
        }
        LocalStack stack = null;
        if (contactPoint == null) {
            stack =
                    LocalStack.builder()
                            .workDirectory(Path.of("target/bench-work/storage"))
                            .start();
            contactPoint = stack.cassandraContactPoint();
        }
        try {
            if (Boolean.parseBoolean(stringArg(args, "--table-options", "false"))) {
                if (stack == null) {
                    throw new IllegalArgumentException(
                            "--table-options measures the local node's CPU: no --contact-point");
                }
                String variants = stringArg(args, "--variants", null);
                List<CassandraSchema.TableOptions> compared =
                        variants == null
                                ? List.of(CassandraSchema.TableOptions.values())
                                : Arrays.stream(variants.split(","))
                                        .map(CassandraSchema.TableOptions::valueOf)
                                        .toList();
                compareTableOptions(
                        contactPoint, stack.cassandra().pid(), images, inFlight, rounds, compared);
                return;
            }
            System.out.printf(
                    "images=%d size=%d bytes in-flight=%d cassandra=%s%n",
                    images, size, inFlight, contactPoint);
            for (int round = 1; round <= rounds; round++) {
                double raw =
                        runRaw(
                                settings(contactPoint, "bench_raw_" + round, inFlight),
                                images,
                                size);
                double sink =
                        runSink(
                                settings(contactPoint, "bench_sink_" + round, inFlight),
                                images,
                                size);
                System.out.printf(
                        "round %d: raw %.0f images/s (%.1f MB/s), sink %.0f images/s (%.1f MB/s), sink/raw %.2f%n",
                        round, raw, raw * size / 1e6, sink, sink * size / 1e6, sink / raw);
            }
        } finally {
            if (stack != null) {
                stack.close();
            }
        }
    }

    /**
     * Cassandra's CPU per stored MB under each {@link CassandraSchema.TableOptions} variant, on the
     * end-to-end benchmark's mix (photos, 13-band GeoTIFFs, uncompressed CT DICOM slices),
     * interleaved round by round, each run on a fresh keyspace: the raw writer issues the job's
     * statements; the node's CPU (/proc) is taken from before the first write until 15 s after the
     * last acknowledgement, so the flushes and compactions the run caused are inside.
     */
    private static void compareTableOptions(
            String contactPoint,
            long cassandraPid,
            int images,
            int inFlight,
            int rounds,
            List<CassandraSchema.TableOptions> variants)
            throws Exception {
        List<Classification> mix = mix(images);
        double megabytes = mix.stream().mapToLong(c -> c.bytes.length).sum() / 1e6;
        System.out.printf(
                "table options on the mix: %d images, %.1f MB, in-flight %d%n",
                images, megabytes, inFlight);
        System.out.println(
                "| round | options | images/s | MB/s | Cassandra CPU s | CPU s per stored MB |");
        System.out.println("|---|---|---|---|---|---|");
        for (int round = 1; round <= rounds; round++) {
            // Each round starts with the next variant, so none is always first after the
            // previous round's compactions (the node also keeps warming up over the rounds).
            for (int v = 0; v < variants.size(); v++) {
                CassandraSchema.TableOptions options =
                        variants.get((v + round - 1) % variants.size());
                CassandraSettings settings =
                        settings(
                                contactPoint,
                                "bench_opts_" + round + "_" + options.ordinal(),
                                inFlight,
                                options);
                Thread.sleep(5000); // the schema change's own work settles first
                double cpuBefore = CpuProfile.cpuSeconds(cassandraPid);
                double rate = runRaw(settings, mix);
                Thread.sleep(15_000);
                double cpu = CpuProfile.cpuSeconds(cassandraPid) - cpuBefore;
                System.out.printf(
                        Locale.ROOT,
                        "| %d | %s | %.0f | %.1f | %.1f | %.3f |%n",
                        round,
                        options,
                        rate,
                        rate * megabytes / images,
                        cpu,
                        cpu / megabytes);
            }
        }
    }

    /** {@code images} results of the end-to-end benchmark's mix, as the job would store them. */
    static List<Classification> mix(int images) throws IOException {
        List<Classification> mix = new ArrayList<>();
        int index = 0;
        for (EndToEndBenchmark.Item item : new Mix(new java.util.Random(42)).items(images)) {
            Classification c = ImageFactory.of(index++, item.bytes());
            c.domain = item.domain().id();
            c.contentType = item.contentType();
            mix.add(c);
        }
        return mix;
    }

    private static CassandraSettings settings(String contactPoint, String keyspace, int inFlight) {
        return settings(contactPoint, keyspace, inFlight, CassandraSchema.CHOSEN_OPTIONS);
    }

    /** A fresh keyspace with the tables created under {@code options}. */
    static CassandraSettings settings(
            String contactPoint,
            String keyspace,
            int inFlight,
            CassandraSchema.TableOptions options) {
        return settings(
                contactPoint, keyspace, inFlight, options, CassandraSettings.DEFAULT_CHUNK_SIZE);
    }

    /** As above, blobs cut into chunks of {@code chunkSize} bytes. */
    static CassandraSettings settings(
            String contactPoint,
            String keyspace,
            int inFlight,
            CassandraSchema.TableOptions options,
            int chunkSize) {
        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(List.of(contactPoint))
                        .keyspace(keyspace)
                        .maxInFlightRequests(inFlight)
                        .chunkSize(chunkSize)
                        .build();
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings, settings.domains(), options);
        }
        return settings;
    }

    /** The same statements the sink issues, per image, bounded by a semaphore. */
    private static double runRaw(CassandraSettings settings, int images, int size)
            throws Exception {
        List<Classification> generated = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            generated.add(ImageFactory.make(i, size));
        }
        return runRaw(settings, generated);
    }

    static double runRaw(CassandraSettings settings, List<Classification> images) throws Exception {
        return runRaw(settings, images, Pace.FLAT_OUT);
    }

    /** As above, each image started no sooner than {@code pace} allows. */
    static double runRaw(CassandraSettings settings, List<Classification> images, Pace pace)
            throws Exception {
        try (CqlSession session = settings.openSession()) {
            // Exactly the statements and bindings the sink writer uses.
            ResultStatements statements = new ResultStatements(session, settings.keyspace());
            Semaphore permits = new Semaphore(settings.maxInFlightRequests());
            List<CompletableFuture<?>> pending = new ArrayList<>();
            long started = System.nanoTime();
            long index = 0;
            for (Classification c : images) {
                pace.awaitTurn(started, index++);
                int chunks = (c.bytes.length + settings.chunkSize() - 1) / settings.chunkSize();
                List<CompletableFuture<?>> chunkWrites = new ArrayList<>();
                for (int k = 0; k < chunks; k++) {
                    permits.acquire();
                    ByteBuffer data =
                            ByteBuffer.wrap(
                                    Arrays.copyOfRange(
                                            c.bytes,
                                            k * settings.chunkSize(),
                                            Math.min(
                                                    c.bytes.length,
                                                    (k + 1) * settings.chunkSize())));
                    chunkWrites.add(
                            session.executeAsync(statements.chunk(c.contentSha256, k, data, 0))
                                    .toCompletableFuture()
                                    .whenComplete((r, e) -> permits.release()));
                }
                permits.acquire(3);
                CompletableFuture<?> done =
                        CompletableFuture.allOf(chunkWrites.toArray(new CompletableFuture[0]))
                                .thenCompose(
                                        x ->
                                                session.executeAsync(
                                                        statements.blob(
                                                                c.contentSha256,
                                                                c.bytes.length,
                                                                settings.chunkSize(),
                                                                chunks,
                                                                c.contentType,
                                                                null,
                                                                0)))
                                .thenCompose(
                                        x ->
                                                CompletableFuture.allOf(
                                                        session.executeAsync(
                                                                        statements.result(c, 0))
                                                                .toCompletableFuture(),
                                                        session.executeAsync(
                                                                        statements.byLabel(c, 0))
                                                                .toCompletableFuture()))
                                .whenComplete((r, e) -> permits.release(3));
                pending.add(done);
            }
            CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).join();
            return images.size() / ((System.nanoTime() - started) / 1e9);
        }
    }

    private static double runSink(CassandraSettings settings, int images, int size)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
        // Chained operators hand records over without a defensive deep copy of every image. (The
        // job does not enable object reuse yet; this isolates the writer's own cost.)
        env.getConfig().enableObjectReuse();
        FIRST_RECORD_NANOS.set(0);
        LAST_WRITE_NANOS.set(0);
        env.fromSequence(0, images - 1)
                .map(new Generate(size))
                .sinkTo(new TimedSink(new CassandraResultSink(settings)));
        env.execute("storage-benchmark");
        // Same span as the raw run: first image handed to the writer to the last write
        // acknowledged (the final flush), leaving out MiniCluster start-up, session open and
        // statement preparation, which the raw run does before its clock starts too.
        return images / ((LAST_WRITE_NANOS.get() - FIRST_RECORD_NANOS.get()) / 1e9);
    }

    /** Set by the first generated record; the local environment runs in this JVM. */
    static final AtomicLong FIRST_RECORD_NANOS = new AtomicLong();

    /** Set when the writer's end-of-input flush returns, i.e. every write is acknowledged. */
    static final AtomicLong LAST_WRITE_NANOS = new AtomicLong();

    /** Delegates to the real sink and stamps the moment its final flush completes. */
    private static final class TimedSink implements Sink<Classification> {
        private final Sink<Classification> delegate;

        TimedSink(Sink<Classification> delegate) {
            this.delegate = delegate;
        }

        @Override
        public SinkWriter<Classification> createWriter(WriterInitContext context)
                throws IOException {
            SinkWriter<Classification> writer = delegate.createWriter(context);
            return new SinkWriter<>() {
                @Override
                public void write(Classification element, Context writeContext)
                        throws IOException, InterruptedException {
                    writer.write(element, writeContext);
                }

                @Override
                public void flush(boolean endOfInput) throws IOException, InterruptedException {
                    writer.flush(endOfInput);
                    if (endOfInput) {
                        LAST_WRITE_NANOS.set(System.nanoTime());
                    }
                }

                @Override
                public void close() throws Exception {
                    writer.close();
                }
            };
        }
    }

    private static final class Generate implements MapFunction<Long, Classification> {
        private final int size;

        Generate(int size) {
            this.size = size;
        }

        @Override
        public Classification map(Long index) {
            long now = System.nanoTime();
            FIRST_RECORD_NANOS.compareAndSet(0, now);
            return ImageFactory.make(index.intValue(), size);
        }
    }

    /** Cheap, unique, deterministic images: the cost measured is Cassandra's, not generation. */
    static final class ImageFactory {
        static Classification make(int index, int size) {
            byte[] bytes = new byte[size];
            ByteBuffer.wrap(bytes).putInt(index).putLong(0x9E3779B97F4A7C15L * (index + 1));
            return of(index, bytes);
        }

        /** A social result of {@code bytes}, with every other field filled as the job fills it. */
        static Classification of(int index, byte[] bytes) {
            Classification c = new Classification();
            c.imageId = "bench-" + index;
            c.domain = "social";
            c.sourceId = "bench-source-" + index;
            c.contentType = "image/jpeg";
            c.bytes = bytes;
            c.contentSha256 = DigestUtils.sha256Hex(bytes);
            c.shard = "shard-000";
            c.modelName = "bench";
            c.modelVersion = "1";
            c.labels = new ArrayList<>(List.of("circle", "square", "triangle"));
            c.scores = new ArrayList<>(List.of(0.7f, 0.2f, 0.1f));
            c.width = 640;
            c.height = 480;
            c.receivedAtMillis = 1_795_000_000_000L + index;
            c.classifiedAtMillis = c.receivedAtMillis + 5;
            return c;
        }
    }

    static int intArg(String[] args, String name, int fallback) {
        String value = stringArg(args, name, null);
        return value == null ? fallback : Integer.parseInt(value);
    }

    static String stringArg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
