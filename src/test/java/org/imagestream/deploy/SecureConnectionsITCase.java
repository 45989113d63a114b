package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.imagestream.job.LocalJobOptions;
import org.imagestream.localstack.CassandraServer;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.KafkaServer;
import org.imagestream.localstack.Ports;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.CliRun;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestTls;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;

/**
 * Security drill: a Kafka broker whose only listener is SASL_SSL (SCRAM-SHA-512) and a Cassandra
 * node with {@code PasswordAuthenticator} and required client TLS, key stores made with {@code
 * keytool}. The producer CLI and the job on the real standalone cluster classify through them; the
 * job gets its secrets only as files (Kafka's {@code FileConfigProvider}, the Cassandra password
 * and trust-store password files). Afterwards no password appears in any cluster log, the CLI's
 * output, or any configuration the REST API (web UI) shows. Plaintext and anonymous clients are
 * refused, so the drill cannot pass against unsecured servers.
 */
class SecureConnectionsITCase {
    private static final int PER_DOMAIN = 6;

    @Test
    void shouldClassifyOverTlsAndScramWithCassandraAuthAndLeakNoSecret() throws Exception {
        Path work =
                Path.of(System.getProperty("imagestream.work.dir", "target/it-work"), "secure")
                        .toAbsolutePath();
        FileUtils.deleteDirectory(work.toFile());
        Path secrets = work.resolve("secrets");
        Files.createDirectories(secrets);
        String storePassword = "store-" + UUID.randomUUID();
        String kafkaPassword = "kafka-" + UUID.randomUUID();
        String adminPassword = "admin-" + UUID.randomUUID();
        String cassandraPassword = "cassandra-" + UUID.randomUUID();
        List<String> secretValues = List.of(storePassword, kafkaPassword, cassandraPassword);
        TestTls tls = TestTls.generate(secrets.resolve("tls"), storePassword);
        Path lib = ClusterDeploymentITCase.localStackDirectory();

        try (KafkaServer kafka =
                        KafkaServer.start(
                                lib.resolve("kafka/lib"),
                                work.resolve("kafka"),
                                Ports.free(),
                                "256m",
                                new KafkaServer.SaslScramTls(
                                        tls.keystore(),
                                        tls.truststore(),
                                        storePassword,
                                        "admin",
                                        Map.of(
                                                "admin", adminPassword,
                                                "imagestream", kafkaPassword)));
                CassandraServer cassandra =
                        CassandraServer.start(
                                lib.resolve("cassandra/lib"),
                                work.resolve("cassandra"),
                                Ports.free(),
                                "512m",
                                new CassandraServer.ClientSecurity(
                                        tls.keystore(), storePassword))) {
            String bootstrap = kafka.bootstrapServers();
            Properties admin = scramClient(tls, "admin", adminPassword);
            Properties client = scramClient(tls, "imagestream", kafkaPassword);
            String topic = "secure-images";
            String deadLetterTopic = "secure-dlq";
            createTopics(bootstrap, admin, topic, deadLetterTopic);
            assertPlaintextRefused(bootstrap);

            // Secrets the job reads at run time, on the TaskManagers; only the paths are options.
            Path kafkaSecrets = secrets.resolve("kafka-client.secrets");
            Files.writeString(
                    kafkaSecrets,
                    "password=" + kafkaPassword + "\ntruststore.password=" + storePassword + "\n");
            Path cassandraPasswordFile = secrets.resolve("cassandra.password");
            Files.writeString(cassandraPasswordFile, cassandraPassword + "\n");
            Path truststorePasswordFile = secrets.resolve("truststore.password");
            Files.writeString(truststorePasswordFile, storePassword + "\n");
            createCassandraRole(cassandra, tls, secrets, cassandraPassword);
            CassandraSettings settings =
                    CassandraSettings.builder()
                            .contactPoints(List.of(cassandra.contactPoint()))
                            .credentials("imagestream", cassandraPasswordFile.toString())
                            .truststore(
                                    tls.truststore().toString(), truststorePasswordFile.toString())
                            .keyspace("secure")
                            .build();
            assertAnonymousCassandraRefused(cassandra, tls, truststorePasswordFile);

            Map<String, String> options =
                    LocalJobOptions.of(
                            bootstrap,
                            cassandra.contactPoint(),
                            topic,
                            deadLetterTopic,
                            "secure",
                            ModelStoreAccess.seedModels());
            options.put("job.parallelism", "2");
            options.put("kafka.properties.security.protocol", "SASL_SSL");
            options.put("kafka.properties.sasl.mechanism", "SCRAM-SHA-512");
            options.put("kafka.properties.config.providers", "file");
            options.put(
                    "kafka.properties.config.providers.file.class",
                    "org.apache.kafka.common.config.provider.FileConfigProvider");
            options.put(
                    "kafka.properties.sasl.jaas.config",
                    KafkaServer.scramJaas("imagestream", "${file:" + kafkaSecrets + ":password}"));
            options.put("kafka.properties.ssl.truststore.type", "PKCS12");
            options.put("kafka.properties.ssl.truststore.location", tls.truststore().toString());
            options.put(
                    "kafka.properties.ssl.truststore.password",
                    "${file:" + kafkaSecrets + ":truststore.password}");
            options.put("cassandra.username", "imagestream");
            options.put("cassandra.password-file", cassandraPasswordFile.toString());
            options.put("cassandra.ssl.truststore", tls.truststore().toString());
            options.put(
                    "cassandra.ssl.truststore-password-file", truststorePasswordFile.toString());
            List<String> args = new ArrayList<>();
            options.forEach(
                    (key, value) -> {
                        args.add("--" + key);
                        args.add(value);
                    });

            Path images = work.resolve("images");
            Set<String> good = new HashSet<>();
            Set<String> malformed = new HashSet<>();
            writeImages(images, good, malformed);
            // The producer CLI's own client file: a secret file like the job's.
            Path producerProperties = secrets.resolve("producer.properties");
            try (var out = Files.newOutputStream(producerProperties)) {
                client.store(out, null);
            }

            try (FlinkClusterServer cluster =
                    ClusterDeploymentITCase.startCluster("secure-cluster")) {
                FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
                String job;
                String cliOutput;
                try {
                    job = rest.runJar(ClusterDeploymentITCase.uploadJobJar(rest), args, null);
                    rest.awaitRunning(job, Duration.ofSeconds(120));
                    cliOutput =
                            produce(
                                    "produce",
                                    "--bootstrap-servers",
                                    bootstrap,
                                    "--kafka-properties",
                                    producerProperties.toString(),
                                    "--topic",
                                    topic,
                                    "--no-progress",
                                    images.toString());
                    assertThat(cliOutput).contains("sent " + (good.size() + malformed.size()));

                    PipelineOutcomes.waitForResults(settings, good.size(), 240_000);
                    List<ConsumerRecord<byte[], byte[]>> deadLetters =
                            PipelineOutcomes.readCommitted(
                                    bootstrap, client, deadLetterTopic, malformed.size());
                    assertThat(deadLetters).hasSize(malformed.size());
                    try (CqlSession session = settings.openSession()) {
                        List<StoredResult> rows = new ResultReader(session, "secure").all();
                        // Source ids are the paths given to the CLI; medical ones become keyed
                        // pseudonyms (a file name may name the patient).
                        assertThat(rows)
                                .extracting(StoredResult::sourceId)
                                .filteredOn(id -> !id.startsWith("medical-"))
                                .containsExactlyInAnyOrderElementsOf(
                                        good.stream()
                                                .filter(name -> !name.endsWith(".dcm"))
                                                .map(name -> images.resolve(name).toString())
                                                .toList());
                        assertThat(rows)
                                .extracting(StoredResult::sourceId)
                                .filteredOn(id -> id.startsWith("medical-"))
                                .hasSize(PER_DOMAIN)
                                .allMatch(id -> id.matches("medical-[0-9a-f]{32}"));
                    }
                } catch (AssertionError | Exception e) {
                    throw new AssertionError(e.getMessage() + "\n" + cluster.logTail(60), e);
                }

                List<String> shown = new ArrayList<>();
                for (String path :
                        List.of(
                                "/jobmanager/config",
                                "/jobmanager/environment",
                                "/jobs/" + job,
                                "/jobs/" + job + "/config",
                                "/jobs/" + job + "/plan",
                                "/jobs/" + job + "/jobmanager/config",
                                "/jobs/" + job + "/checkpoints/config",
                                "/jobs/" + job + "/exceptions",
                                "/jars")) {
                    shown.add(path + " " + rest.get(path));
                }
                for (JsonNode taskManager : rest.get("/taskmanagers").path("taskmanagers")) {
                    shown.add(
                            rest.get("/taskmanagers/" + taskManager.path("id").asText())
                                    .toString());
                }
                rest.cancel(job);
                // The REST view really is this job's (its configuration and plan were fetched).
                assertThat(String.join("\n", shown))
                        .contains("\"jid\":\"" + job + "\"", "execution-config", "Classify images");
                List<Path> logs;
                try (Stream<Path> files = Files.walk(cluster.workDirectory())) {
                    logs =
                            files.filter(Files::isRegularFile)
                                    .filter(
                                            f ->
                                                    f.toString().endsWith(".log")
                                                            || f.toString().endsWith(".out"))
                                    .toList();
                }
                assertThat(logs).hasSizeGreaterThanOrEqualTo(2);
                for (String secret : secretValues) {
                    assertThat(String.join("\n", shown))
                            .as("REST API (web UI) content")
                            .doesNotContain(secret);
                    assertThat(cliOutput).as("producer CLI output").doesNotContain(secret);
                    for (Path log : logs) {
                        assertThat(Files.readString(log)).as(log.toString()).doesNotContain(secret);
                    }
                }
            }
        }
    }

    private static Properties scramClient(TestTls tls, String user, String password) {
        Properties properties = new Properties();
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", "SCRAM-SHA-512");
        properties.put("sasl.jaas.config", KafkaServer.scramJaas(user, password));
        properties.put("ssl.truststore.type", "PKCS12");
        properties.put("ssl.truststore.location", tls.truststore().toString());
        properties.put("ssl.truststore.password", tls.password());
        return properties;
    }

    private static void createTopics(String bootstrap, Properties admin, String... topics)
            throws Exception {
        Properties properties = new Properties();
        properties.putAll(admin);
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin client = Admin.create(properties)) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (String topic : topics) {
                newTopics.add(new NewTopic(topic, 2, (short) 1));
            }
            client.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** A client without TLS and SASL gets nowhere: the servers really are secured. */
    private static void assertPlaintextRefused(String bootstrap) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        try (Admin client = Admin.create(properties)) {
            assertThatThrownBy(() -> client.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("plaintext client on the SASL_SSL listener")
                    .isInstanceOf(Exception.class);
        }
    }

    /**
     * Creates the job's role (login, all permissions on all keyspaces) as the default superuser,
     * which Cassandra creates shortly after start.
     */
    private static void createCassandraRole(
            CassandraServer cassandra, TestTls tls, Path secrets, String password)
            throws Exception {
        Path superuserPassword = secrets.resolve("superuser.password");
        Files.writeString(superuserPassword, "cassandra");
        Path truststorePassword = secrets.resolve("superuser-truststore.password");
        Files.writeString(truststorePassword, tls.password());
        CassandraSettings superuser =
                CassandraSettings.builder()
                        .contactPoints(List.of(cassandra.contactPoint()))
                        .credentials("cassandra", superuserPassword.toString())
                        .truststore(tls.truststore().toString(), truststorePassword.toString())
                        .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try (CqlSession session = superuser.openSession()) {
                session.execute(
                        "CREATE ROLE IF NOT EXISTS imagestream WITH PASSWORD = '"
                                + password
                                + "' AND LOGIN = true");
                session.execute("GRANT ALL PERMISSIONS ON ALL KEYSPACES TO imagestream");
                break;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(1000); // the default superuser is not set up yet
            }
        }
    }

    private static void assertAnonymousCassandraRefused(
            CassandraServer cassandra, TestTls tls, Path truststorePasswordFile) {
        CassandraSettings anonymousOverTls =
                CassandraSettings.builder()
                        .contactPoints(List.of(cassandra.contactPoint()))
                        .truststore(tls.truststore().toString(), truststorePasswordFile.toString())
                        .build();
        assertThatThrownBy(() -> anonymousOverTls.openSession().close())
                .as("client without credentials")
                .isInstanceOf(RuntimeException.class);
        CassandraSettings plaintext =
                CassandraSettings.builder()
                        .contactPoints(List.of(cassandra.contactPoint()))
                        .build();
        assertThatThrownBy(() -> plaintext.openSession().close())
                .as("client without TLS")
                .isInstanceOf(RuntimeException.class);
    }

    /** Good images of every domain and, per domain, one cut short (a dead letter each). */
    private static void writeImages(Path folder, Set<String> good, Set<String> malformed)
            throws Exception {
        Files.createDirectories(folder);
        Random random = new Random(47);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Domain domain : Domain.values()) {
            for (int i = 0; i < PER_DOMAIN; i++) {
                SampleImages.Sample sample = SampleImages.generate(domain, i, random);
                files.put(sample.fileName(), sample.bytes());
                good.add(sample.fileName());
            }
            SampleImages.Sample cut = SampleImages.generate(domain, PER_DOMAIN, random);
            String name = "cut-" + cut.fileName();
            // Long enough to keep its magic number, so the CLI still routes it to its domain.
            files.put(name, Arrays.copyOf(cut.bytes(), 400));
            malformed.add(name);
        }
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(folder.resolve(file.getKey()), file.getValue());
        }
    }

    private static String produce(String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as("produce exit code: " + run.text()).isZero();
        return run.text();
    }
}
