package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.configuration.StateBackendOptions;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.localstack.PrometheusServer;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.ShippedFlinkConf;
import org.imagestream.testing.StoredBytes;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shaded job jar on a real standalone Flink cluster: a JobManager and a TaskManager as their
 * own JVMs, started from Maven artifacts with the project's {@code flink-conf/} unchanged (only
 * ports and directories are overridden), the jar uploaded and run through the REST API, exactly as
 * the README's "deploy on a cluster" section does it. A real Prometheus scrapes both processes.
 */
@ExtendWith(LocalStackExtension.class)
class ClusterDeploymentITCase {
    private static FlinkClusterServer cluster;
    private static PrometheusServer prometheus;
    private static FlinkRestClient rest;
    private static String jarId;

    @BeforeAll
    static void startCluster() throws Exception {
        // Two TaskManagers (4 slots): the savepoint test resumes the job at a higher parallelism.
        cluster = startCluster("cluster", 2);
        prometheus =
                PrometheusServer.start(
                        PrometheusServer.locateBinary(localStackDirectory()),
                        cluster.workDirectory().resolve("prometheus"),
                        cluster.metricsTargets());
        rest = new FlinkRestClient(cluster.restUrl());
        jarId = uploadJobJar(rest);
    }

    @AfterAll
    static void stopCluster() {
        if (prometheus != null) {
            prometheus.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * The state backend switch and both rescales an operator makes. A job on the heap state backend
     * (what {@code flink-conf/} shipped before RocksDB) at parallelism 2 is stopped with a
     * savepoint mid-stream and resumed from it at parallelism 3 on {@code flink-conf/}'s RocksDB (a
     * topic of 4 partitions, so the readers own uneven shares; keyed state moves with its key
     * groups), then stopped again and resumed at parallelism 2. Every image ends as exactly one row
     * or dead letter, and after each resume a copy of every image classified so far is a dedup hit:
     * no cache entry is lost by the backend switch, by 2 -> 3 or by 3 -> 2.
     */
    @Test
    void shouldKeepEveryDedupEntryFromHeapToRocksDbAndThroughRescalesBothWays(LocalStack stack)
            throws Exception {
        Run run = Run.create(stack, "cluster", 4);
        String topic = run.topic();
        String deadLetterTopic = run.deadLetterTopic();
        String keyspace = run.keyspace();
        List<String> args = run.args();
        CassandraSettings settings = run.settings();

        List<String> savepoints = new ArrayList<>();
        Map<String, String> originalOfCopy = new LinkedHashMap<>();
        // Every original image sent, by image id: the producer's, and those sent only to the
        // RocksDB job at parallelism 3.
        Map<String, byte[]> sent = new ConcurrentHashMap<>();
        // ~20 s of images of all three domains, 1 in 10 malformed, spanning the first stop.
        try (PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), topic, 600, 30, 10, 41)) {
            String heapJob =
                    rest.runJar(
                            jarId,
                            args,
                            null,
                            Map.of(StateBackendOptions.STATE_BACKEND.key(), "hashmap"));
            rest.awaitRunning(heapJob, Duration.ofSeconds(120));
            assertThat(stateBackend(heapJob)).isEqualTo("HashMapStateBackend");
            PipelineOutcomes.waitForResults(settings, 100, 180_000);
            savepoints.add(stopWithSavepoint(heapJob));
            List<StoredResult> classifiedOnHeap = rows(settings, keyspace);
            sent.putAll(producer.good());

            String scaledUp = resumeOnRocksDb(args, 3, savepoints.get(0));
            originalOfCopy.putAll(
                    publishCopies(stack, topic, classifiedOnHeap, sent, "heap-to-3-"));
            // Images whose cache entries the RocksDB job writes itself (not restored from the
            // heap savepoint), whatever share of the producer's stream the heap job took.
            Map<String, byte[]> newOnRocksDb = publishNewImages(stack, topic);
            sent.putAll(newOnRocksDb);
            producer.await(120_000);
            int malformed = producer.malformed().size();
            assertThat(producer.good().size() + malformed).isEqualTo(600);
            sent.putAll(producer.good());
            PipelineOutcomes.waitForResults(settings, sent.size() + originalOfCopy.size(), 240_000);
            List<StoredResult> classifiedBeforeScaleDown =
                    rows(settings, keyspace).stream()
                            .filter(row -> !originalOfCopy.containsKey(row.imageId()))
                            .toList();
            assertThat(ids(classifiedBeforeScaleDown))
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());
            savepoints.add(stopWithSavepoint(scaledUp));

            String scaledDown = resumeOnRocksDb(args, 2, savepoints.get(1));
            originalOfCopy.putAll(
                    publishCopies(stack, topic, classifiedBeforeScaleDown, sent, "3-to-2-"));
            assertThat(originalOfCopy).hasSize(classifiedOnHeap.size() + sent.size());
            PipelineOutcomes.waitForResults(settings, sent.size() + originalOfCopy.size(), 240_000);
            Map<String, String> reasons =
                    PipelineOutcomes.deadLetterReasons(
                            stack.bootstrapServers(), deadLetterTopic, malformed);
            assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(producer.malformed());

            // The TaskManagers built a RocksDB backend per classify subtask of the resumed jobs.
            assertThat(rocksDbClassifyBackendsLogged(heapJob)).isZero();
            assertThat(rocksDbClassifyBackendsLogged(scaledUp)).isEqualTo(3);
            assertThat(rocksDbClassifyBackendsLogged(scaledDown)).isEqualTo(2);

            try (CqlSession session = settings.openSession()) {
                ResultReader reader = new ResultReader(session, keyspace);
                List<StoredResult> rows = reader.all();
                Set<String> expected = new HashSet<>(sent.keySet());
                expected.addAll(originalOfCopy.keySet());
                assertThat(rows)
                        .extracting(StoredResult::imageId)
                        .doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(expected);
                Map<String, StoredResult> byId = new HashMap<>();
                rows.forEach(row -> byId.put(row.imageId(), row));
                // Every original was classified (no two are alike), so a hit below can only come
                // from a cache entry restored or written before its copy was sent.
                for (String original : sent.keySet()) {
                    assertThat(byId.get(original).deduplicated()).as(original).isFalse();
                }
                originalOfCopy.forEach(
                        (copy, original) -> {
                            assertThat(byId.get(copy).deduplicated())
                                    .as("copy %s of %s is a dedup hit", copy, original)
                                    .isTrue();
                            assertThat(byId.get(copy).contentSha256())
                                    .isEqualTo(byId.get(original).contentSha256());
                        });
                assertThat(rows)
                        .extracting(StoredResult::domain)
                        .contains("social", "remote-sensing", "medical");
                long queryRows =
                        session.execute("SELECT count(*) FROM " + keyspace + ".results_by_label")
                                .one()
                                .getLong(0);
                assertThat(queryRows).isEqualTo(rows.size());
                // Sent by the producer, stored byte-exact.
                for (StoredResult row :
                        rows.stream()
                                .filter(stored -> producer.good().containsKey(stored.imageId()))
                                .limit(30)
                                .toList()) {
                    byte[] stored = StoredBytes.of(row.domain(), sent.get(row.imageId()));
                    assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(stored));
                    assertThat(reader.readBlob(row.contentSha256())).isEqualTo(stored);
                }
            }
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logTail(60), e);
        } finally {
            cancelJobsNotEnded();
        }
        for (String savepoint : savepoints) {
            assertThat(Files.exists(Path.of(URI.create(savepoint)))).isTrue();
        }
    }

    /**
     * Cancels every job on the cluster that has not ended (one that fails to restore keeps
     * restarting and holds the slots the next test needs) and waits for it; a failure here never
     * hides the test's own.
     */
    private static void cancelJobsNotEnded() {
        try {
            for (var job : rest.get("/jobs").path("jobs")) {
                String id = job.path("id").asText();
                if (!Set.of("FINISHED", "CANCELED", "FAILED").contains(rest.jobState(id))) {
                    rest.cancel(id);
                    rest.awaitState(id, "CANCELED", Duration.ofSeconds(60));
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("Could not cancel the cluster's jobs: " + e);
        }
    }

    /**
     * Starts the job from {@code savepoint} at {@code parallelism} on the cluster's backend
     * (flink-conf/'s RocksDB) and waits until it runs; checks every vertex's parallelism, that
     * Flink's checkpoint statistics name the savepoint as restored, and the backend. Returns the
     * job id.
     */
    private static String resumeOnRocksDb(List<String> args, int parallelism, String savepoint)
            throws Exception {
        String job =
                rest.runJar(
                        jarId,
                        withOption(args, "job.parallelism", Integer.toString(parallelism)),
                        savepoint);
        rest.awaitRunning(job, Duration.ofSeconds(180));
        for (var vertex : rest.get("/jobs/" + job).path("vertices")) {
            assertThat(vertex.path("parallelism").asInt())
                    .as(vertex.path("name").asText())
                    .isEqualTo(parallelism);
        }
        var restored = rest.get("/jobs/" + job + "/checkpoints").path("latest").path("restored");
        assertThat(restored.path("is_savepoint").asBoolean()).as(restored.toString()).isTrue();
        assertThat(Path.of(URI.create(restored.path("external_path").asText())))
                .isEqualTo(Path.of(URI.create(savepoint)));
        assertThat(stateBackend(job)).isEqualTo("EmbeddedRocksDBStateBackend");
        return job;
    }

    /**
     * Publishes six images of each domain that no producer sent (another generator seed); returns
     * their bytes by image id.
     */
    private static Map<String, byte[]> publishNewImages(LocalStack stack, String topic)
            throws Exception {
        Random random = new Random(4_242);
        List<SampleImages.Sample> samples = new ArrayList<>();
        for (Domain domain : Domain.values()) {
            for (int i = 0; i < 6; i++) {
                samples.add(SampleImages.generate(domain, i, random));
            }
        }
        Map<String, byte[]> byId = new LinkedHashMap<>();
        PublishedImages.publishAll(
                        stack.bootstrapServers(),
                        topic,
                        samples,
                        SampleImages.Sample::domain,
                        sample -> "new-on-rocksdb-" + sample.fileName(),
                        SampleImages.Sample::bytes)
                .forEach((id, sample) -> byId.put(id, sample.bytes()));
        return byId;
    }

    /** Stops {@code job} with a savepoint in the default directory; returns its path. */
    private static String stopWithSavepoint(String job) throws Exception {
        String savepoint = rest.stopWithSavepoint(job, null, Duration.ofSeconds(120));
        assertThat(savepoint).isNotBlank();
        return savepoint;
    }

    /** The state backend the JobManager reports for {@code job}. */
    private static String stateBackend(String job) throws Exception {
        return rest.get("/jobs/" + job + "/checkpoints/config").path("state_backend").asText();
    }

    /**
     * How many classify subtasks of {@code job} the TaskManagers logged building a RocksDB keyed
     * backend for (RocksDB names each instance's directory after the job and operator).
     */
    private static long rocksDbClassifyBackendsLogged(String job) throws Exception {
        long count = 0;
        for (Path log : cluster.logFiles()) {
            try (var lines = Files.lines(log)) {
                count +=
                        lines.filter(line -> line.contains("RocksDB keyed state-backend at"))
                                .filter(
                                        line ->
                                                line.contains(
                                                        "job_" + job + "_op_BatchingClassify"))
                                .count();
            }
        }
        return count;
    }

    /**
     * Publishes a copy of each of {@code rows}' images (the bytes the producer sent, under the
     * row's domain); returns each copy's image id with its original's.
     */
    private static Map<String, String> publishCopies(
            LocalStack stack,
            String topic,
            List<StoredResult> rows,
            Map<String, byte[]> sent,
            String prefix)
            throws Exception {
        Map<String, StoredResult> copies =
                PublishedImages.publishAll(
                        stack.bootstrapServers(),
                        topic,
                        rows,
                        row -> Domain.fromId(row.domain()),
                        row -> prefix + row.sourceId(),
                        row -> Objects.requireNonNull(sent.get(row.imageId()), row.imageId()));
        Map<String, String> originalOfCopy = new LinkedHashMap<>();
        copies.forEach((copy, row) -> originalOfCopy.put(copy, row.imageId()));
        return originalOfCopy;
    }

    private static List<StoredResult> rows(CassandraSettings settings, String keyspace) {
        try (CqlSession session = settings.openSession()) {
            return new ResultReader(session, keyspace).all();
        }
    }

    private static Set<String> ids(List<StoredResult> rows) {
        return rows.stream().map(StoredResult::imageId).collect(Collectors.toSet());
    }

    /**
     * Panels whose value is legitimately zero while a healthy job processes paced traffic without
     * duplicates, with why; every other panel must show a finite value above zero.
     */
    private static final Map<String, String> ZERO_WHEN_HEALTHY =
            Map.of(
                    "imagesDeduplicated", "the paced producer sends no identical images",
                    "pendingRecords", "the job keeps up, so the lag is often 0",
                    "backPressuredTimeMsPerSecond", "no back-pressure at 30 images/s",
                    "numberOfFailedCheckpoints", "no checkpoint fails",
                    "numRestarts", "no restart",
                    "cassandraInFlightRequests", "often nothing in flight at the scrape",
                    "cassandraRetries", "no retry",
                    "inferenceFailures", "no model failure");

    /**
     * Every panel query of every provisioned Grafana dashboard, evaluated by the real Prometheus
     * that scrapes this cluster while the job processes images of all domains (some malformed):
     * each returns series whose values are finite (a NaN quantile draws nothing), and above zero
     * wherever the traffic implies one (rates, latencies, batch sizes, label shares; only {@link
     * #ZERO_WHEN_HEALTHY} may be zero). A panel that merely has a series proves nothing.
     */
    @Test
    void everyDashboardQueryShouldShowAValueTheTrafficImplies(LocalStack stack) throws Exception {
        Run run = Run.create(stack, "metrics");
        String topic = run.topic();
        String deadLetterTopic = run.deadLetterTopic();
        String keyspace = run.keyspace();
        List<String> args = run.args();
        CassandraSettings settings = run.settings();
        List<GrafanaDashboards.PanelQuery> queries =
                GrafanaDashboards.load(
                        Path.of(System.getProperty("imagestream.docker.dir", "docker"))
                                .resolve("grafana/dashboards"));
        assertThat(queries).hasSizeGreaterThan(10);
        String job = rest.runJar(jarId, args, null);
        try (PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), topic, 900, 30, 10, 43)) {
            rest.awaitRunning(job, Duration.ofSeconds(120));
            PipelineOutcomes.waitForResults(settings, 150, 180_000);
            PrometheusQueries promql = new PrometheusQueries(prometheus.url());
            Files.writeString(
                    cluster.workDirectory().resolve("metric-names.txt"),
                    String.join("\n", promql.metricNames()));
            // Rates need two scrapes inside their window, and checkpoint metrics a completed
            // checkpoint: poll until every query has data, then report the ones that never do.
            List<String> wrong = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            do {
                wrong.clear();
                for (GrafanaDashboards.PanelQuery query : queries) {
                    List<Double> values = promql.values(query.expression());
                    boolean mayBeZero =
                            ZERO_WHEN_HEALTHY.keySet().stream()
                                    .anyMatch(metric -> query.expression().contains(metric));
                    boolean finite =
                            !values.isEmpty() && values.stream().allMatch(Double::isFinite);
                    boolean positive = values.stream().anyMatch(value -> value > 0);
                    if (!finite || (!mayBeZero && !positive)) {
                        wrong.add(query + " = " + values);
                    }
                }
                if (!wrong.isEmpty()) {
                    Thread.sleep(2000);
                }
            } while (!wrong.isEmpty() && System.nanoTime() < deadline);
            assertThat(wrong)
                    .as("panel queries without a finite value, or zero despite traffic")
                    .isEmpty();
        } finally {
            rest.cancel(job);
        }
    }

    /** One test's own topics and keyspace, and the job options pointing at them. */
    private record Run(
            String topic,
            String deadLetterTopic,
            String keyspace,
            List<String> args,
            CassandraSettings settings) {
        static Run create(LocalStack stack, String prefix) throws Exception {
            return create(stack, prefix, 2);
        }

        static Run create(LocalStack stack, String prefix, int partitions) throws Exception {
            TestStreams streams = TestStreams.create(stack, prefix, partitions);
            return new Run(
                    streams.topic(),
                    streams.deadLetterTopic(),
                    streams.keyspace(),
                    jobArgs(stack, streams.topic(), streams.deadLetterTopic(), streams.keyspace()),
                    streams.settings());
        }
    }

    static Path localStackDirectory() {
        return LocalStack.libRoot();
    }

    /**
     * A JobManager and one TaskManager from the project's {@code flink-conf/}, under the test work
     * directory's {@code name}.
     */
    static FlinkClusterServer startCluster(String name) throws Exception {
        return startCluster(name, 1);
    }

    /** As above, with {@code taskManagers} TaskManagers of 2 slots each. */
    static FlinkClusterServer startCluster(String name, int taskManagers) throws Exception {
        return startCluster(name, taskManagers, Map.of());
    }

    /** As above, with more configuration overrides ({@code -D} dynamic properties). */
    static FlinkClusterServer startCluster(
            String name, int taskManagers, Map<String, String> overrides) throws Exception {
        // The reference config sizes a 2 GiB TaskManager; this machine also runs Kafka,
        // Cassandra and the test JVM, so the test cluster is smaller (cluster up's size).
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("taskmanager.memory.process.size", "1400m");
        properties.put("jobmanager.memory.process.size", "800m");
        properties.putAll(overrides);
        return FlinkClusterServer.start(
                localStackDirectory().resolve("flink/lib"),
                ShippedFlinkConf.directory(),
                Path.of(System.getProperty("imagestream.work.dir", "target/it-work"), name),
                taskManagers,
                properties);
    }

    /** A test body that runs against a standalone cluster. */
    @FunctionalInterface
    interface ClusterTest {
        void run() throws Exception;
    }

    /** Runs {@code body}; a failure carries the tail of the cluster's logs, where the cause is. */
    static void withLogsOnFailure(FlinkClusterServer cluster, ClusterTest body) {
        try {
            body.run();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logTail(80), e);
        }
    }

    /** Uploads the shaded job jar the build made ({@code imagestream.job.jar}); returns its id. */
    static String uploadJobJar(FlinkRestClient rest) throws Exception {
        Path jar = Path.of(System.getProperty("imagestream.job.jar", "missing"));
        assertThat(jar).as("shaded job jar (built by 'mvn package')").exists();
        return rest.uploadJar(jar);
    }

    /** {@code args} ({@code --key value} pairs) with {@code key} set to {@code value}. */
    static List<String> withOption(List<String> args, String key, String value) {
        List<String> changed = new ArrayList<>(args);
        int index = changed.indexOf("--" + key);
        if (index < 0) {
            changed.add("--" + key);
            changed.add(value);
        } else {
            changed.set(index + 1, value);
        }
        return changed;
    }

    static List<String> jobArgs(
            LocalStack stack, String topic, String deadLetterTopic, String keyspace)
            throws Exception {
        Map<String, String> options =
                LocalJobOptions.of(
                        stack, topic, deadLetterTopic, keyspace, ModelStoreAccess.seedModels());
        options.put("job.parallelism", "2");
        List<String> args = new ArrayList<>();
        options.forEach(
                (key, value) -> {
                    args.add("--" + key);
                    args.add(value);
                });
        return args;
    }
}
