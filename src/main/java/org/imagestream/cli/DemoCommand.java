package org.imagestream.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.config.JobConfig;
import org.imagestream.config.JobOptions;
import org.imagestream.config.MedicalSecret;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImageIds;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.job.ImageClassificationJob;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SampleImages.Sample;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.training.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the whole service on one machine. Starts real Kafka and Cassandra, trains (once)
 * the seed models, runs the job on a local Flink MiniCluster with the web UI, publishes sample
 * images of all three domains plus two bad records, and prints every classification as it lands in
 * Cassandra and every dead letter as it lands on its topic. Stops everything on exit or Ctrl-C.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Run the job on an embedded local stack (real Kafka + Cassandra + Flink MiniCluster) with sample images.")
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--work-dir",
            defaultValue = "target/demo",
            description = "Server data, logs and cached models (default: ${DEFAULT-VALUE}).")
    Path workDirectory;

    @Option(
            names = "--per-domain",
            defaultValue = "4",
            description = "Sample images per domain (default: ${DEFAULT-VALUE}).")
    int perDomain;

    @Option(
            names = "--web-ui-port",
            defaultValue = "8081",
            description = "Flink web UI port on localhost (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--social-model",
            description =
                    "Model directory or root for the social domain (default: <work-dir>/imported/social"
                            + " if it exists, e.g. nsfwjs imported with import-tfjs; else the seed model).")
    Path socialModelRoot;

    @Option(
            names = "--keep-running",
            description =
                    "Keep the job and servers running after the samples are done, until Ctrl-C.")
    boolean keepRunning;

    @Option(
            names = "--timeout",
            defaultValue = "PT3M",
            description =
                    "Give up if the samples are not all accounted for within this (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    private static final Map<Domain, String> TOPICS =
            Map.of(
                    Domain.SOCIAL, JobOptions.topicOf(Domain.SOCIAL),
                    Domain.REMOTE_SENSING, JobOptions.topicOf(Domain.REMOTE_SENSING),
                    Domain.MEDICAL, JobOptions.topicOf(Domain.MEDICAL));
    private static final String DEAD_LETTER_TOPIC = JobOptions.DEAD_LETTER_TOPIC.defaultValue();
    private static final String KEYSPACE = "imagestream";

    @Override
    public Integer call() throws Exception {
        long started = System.currentTimeMillis();
        Path work = workDirectory.toAbsolutePath();
        System.out.println("imagestream demo: work directory " + work);
        System.out.println("Training (first run only) or loading the seed models ...");
        Map<Domain, ModelSpec> models = ModelStore.ensureSeedModels(work.resolve("models"));
        // A model imported with 'import-tfjs' (e.g. nsfwjs) replaces the social seed model.
        String socialModel = models.get(Domain.SOCIAL).directory();
        Path imported = socialModelRoot != null ? socialModelRoot : work.resolve("imported/social");
        if (Files.isDirectory(imported)) {
            ModelSpec spec = ModelSpec.load(ModelDirectory.current(imported));
            if (spec.domain() != Domain.SOCIAL) {
                System.err.println(
                        imported + " holds a " + spec.domain().id() + " model, not social");
                return 2;
            }
            socialModel = imported.toAbsolutePath().toString();
            System.out.println("Social model: " + spec + " (imported, from " + imported + ")");
        }

        System.out.println("Starting Kafka and Cassandra (real servers, child processes) ...");
        Path stackDirectory = work.resolve("localstack");
        try (LocalStack stack = LocalStack.builder().workDirectory(stackDirectory).start()) {
            System.out.printf(
                    "  Kafka     %s%n  Cassandra %s%n",
                    stack.bootstrapServers(), stack.cassandraContactPoint());
            List<String> topics = new ArrayList<>(TOPICS.values());
            topics.add(DEAD_LETTER_TOPIC);
            stack.createTopics(2, topics.toArray(new String[0]));

            Map<String, String> options = new HashMap<>();
            options.put("kafka.bootstrap-servers", stack.bootstrapServers());
            options.put("kafka.topics", String.join(";", TOPICS.values()));
            options.put("kafka.starting-offsets", "earliest");
            options.put("kafka.dead-letter-topic", DEAD_LETTER_TOPIC);
            options.put("cassandra.contact-points", stack.cassandraContactPoint());
            options.put("cassandra.keyspace", KEYSPACE);
            options.put("model.social.dir", socialModel);
            options.put("model.remote-sensing.dir", models.get(Domain.REMOTE_SENSING).directory());
            options.put("model.medical.dir", models.get(Domain.MEDICAL).directory());
            options.put("job.checkpoint-interval", "5s");
            // A random key of this machine's demo, kept across runs (owner-only file).
            options.put(
                    "medical.uid-secret-file",
                    MedicalSecret.createIfMissing(work.resolve("medical-uid-secret")).toString());
            JobConfig config = JobConfig.fromMap(options);

            Configuration flink = new Configuration();
            flink.set(RestOptions.PORT, webUiPort);
            flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(parallelism);
            ImageClassificationJob.build(env, config);
            JobClient job = env.executeAsync("imagestream-demo");
            System.out.printf(
                    "Flink job %s running; web UI: http://localhost:%d%n",
                    job.getJobID(), webUiPort);

            Map<String, Sample> pending = publishSamples(stack.bootstrapServers());
            int total = pending.size();
            System.out.printf(
                    "Published %d records (%d per domain + 2 bad ones); waiting for them to land ...%n",
                    total, perDomain);
            int results = 0;
            int deadLetters = 0;
            try (CqlSession session =
                            CassandraSettings.builder()
                                    .contactPoints(List.of(stack.cassandraContactPoint()))
                                    .keyspace(KEYSPACE)
                                    .build()
                                    .openSession();
                    KafkaConsumer<byte[], byte[]> dlq =
                            deadLetterConsumer(stack.bootstrapServers())) {
                ResultReader reader = new ResultReader(session, KEYSPACE);
                long deadline = System.currentTimeMillis() + timeout.toMillis();
                while (!pending.isEmpty() && System.currentTimeMillis() < deadline) {
                    for (String id : new ArrayList<>(pending.keySet())) {
                        Optional<StoredResult> row = reader.find(id);
                        if (row.isPresent()) {
                            printResult(pending.remove(id), row.get());
                            results++;
                        }
                    }
                    for (ConsumerRecord<byte[], byte[]> record : dlq.poll(Duration.ofMillis(300))) {
                        String id = header(record, ImageHeaders.DEAD_LETTER_IMAGE_ID);
                        Sample sample = pending.remove(id);
                        System.out.printf(
                                "  dead letter  %-32s reason=%s  (%s)%n",
                                sample == null ? id : sample.fileName(),
                                header(record, ImageHeaders.DEAD_LETTER_REASON),
                                header(record, ImageHeaders.DEAD_LETTER_MESSAGE));
                        deadLetters++;
                    }
                }
            }
            boolean complete = pending.isEmpty();
            System.out.printf(
                    "%s: %d of %d records accounted for (%d results in Cassandra keyspace '%s', %d dead letters on '%s') in %.1f s%n",
                    complete ? "Done" : "TIMED OUT",
                    results + deadLetters,
                    total,
                    results,
                    KEYSPACE,
                    deadLetters,
                    DEAD_LETTER_TOPIC,
                    (System.currentTimeMillis() - started) / 1000.0);
            if (complete && keepRunning) {
                System.out.println(
                        "--keep-running: job and servers stay up; press Ctrl-C to stop.");
                Thread.currentThread().join();
            }
            System.out.println("Stopping the job and the servers ...");
            job.cancel().get();
            return complete ? 0 : 1;
        }
    }

    private Map<String, Sample> publishSamples(String bootstrap) throws Exception {
        Map<String, Sample> sent = new LinkedHashMap<>();
        Random random = new Random(2026);
        // The ids the job gives these records (topic id included), to match rows to samples.
        ImageIds ids = new ImageIds(ImageIds.fromBroker(bootstrapProperties(bootstrap)));
        try (ImagePublisher publisher = ImagePublisher.forBootstrapServers(bootstrap)) {
            for (int i = 0; i < perDomain; i++) {
                for (Domain domain : Domain.values()) {
                    Sample sample = SampleImages.generate(domain, i, random);
                    RecordMetadata metadata =
                            publisher
                                    .publish(
                                            TOPICS.get(domain),
                                            domain.id(),
                                            sample.fileName(),
                                            sample.contentType(),
                                            sample.bytes())
                                    .get();
                    sent.put(id(ids, metadata), sample);
                }
            }
            Sample truncated =
                    new Sample(
                            Domain.SOCIAL,
                            "-",
                            "image/jpeg",
                            "truncated.jpg",
                            java.util.Arrays.copyOf(
                                    SampleImages.generate(Domain.SOCIAL, 0, random).bytes(), 200));
            sent.put(
                    id(
                            ids,
                            publisher
                                    .publish(
                                            TOPICS.get(Domain.SOCIAL),
                                            "social",
                                            truncated.fileName(),
                                            truncated.contentType(),
                                            truncated.bytes())
                                    .get()),
                    truncated);
            Sample notDicom =
                    new Sample(
                            Domain.MEDICAL,
                            "-",
                            "application/dicom",
                            "not-a-dicom.dcm",
                            "hello".getBytes(StandardCharsets.UTF_8));
            sent.put(
                    id(
                            ids,
                            publisher
                                    .publish(
                                            TOPICS.get(Domain.MEDICAL),
                                            "medical",
                                            notDicom.fileName(),
                                            notDicom.contentType(),
                                            notDicom.bytes())
                                    .get()),
                    notDicom);
        }
        return sent;
    }

    private static void printResult(Sample sample, StoredResult row) {
        StringBuilder top = new StringBuilder();
        for (int i = 0; i < row.labels().size(); i++) {
            top.append(
                    String.format(
                            "%s%s %.2f",
                            i == 0 ? "" : ", ", row.labels().get(i), row.scores().get(i)));
        }
        System.out.printf(
                "  %-15s %-32s -> %-9s (%s)  sent as %-9s model %s:%s %s %dx%d%n",
                "[" + row.domain() + "]",
                sample.fileName(),
                row.topLabel(),
                top,
                sample.label(),
                row.modelName(),
                row.modelVersion(),
                row.shard(),
                row.width(),
                row.height());
    }

    private static KafkaConsumer<byte[], byte[]> deadLetterConsumer(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-dead-letter-reader");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Dead letters are written in Kafka transactions: read only committed ones.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(DEAD_LETTER_TOPIC));
        return consumer;
    }

    private static java.util.Properties bootstrapProperties(String bootstrap) {
        java.util.Properties properties = new java.util.Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return properties;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String id(ImageIds ids, RecordMetadata metadata) {
        return ids.of(metadata.topic(), metadata.partition(), metadata.offset());
    }
}
