package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft: broker and controller in one JVM) on 127.0.0.1, run from
 * the Maven Central {@code kafka_2.13} artifact. Limits are raised for images up to 16 MiB.
 */
public final class KafkaServer implements AutoCloseable {
    /** Broker side of the 16 MiB image limit (plus room for headers). */
    static final int MESSAGE_MAX_BYTES = org.imagestream.ingest.ImagePublisher.MAX_RECORD_BYTES;

    private final Path libDirectory;
    private final Path directory;
    private final Path properties;
    private final List<String> jvmOptions;
    private final int port;
    private volatile ServerProcess process;

    private KafkaServer(
            Path libDirectory, Path directory, Path properties, List<String> jvmOptions, int port) {
        this.libDirectory = libDirectory;
        this.directory = directory;
        this.properties = properties;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.port = port;
    }

    /**
     * The client listener secured with TLS and SASL/SCRAM-SHA-512: the broker's key pair, the trust
     * store its own inter-broker client uses, one password for both stores, and the SCRAM users
     * created when the log directory is formatted ({@code brokerUser} among them).
     */
    public record SaslScramTls(
            Path keystore,
            Path truststore,
            String storePassword,
            String brokerUser,
            Map<String, String> scramUsers) {
        public SaslScramTls {
            scramUsers = Map.copyOf(scramUsers);
            if (!scramUsers.containsKey(brokerUser)) {
                throw new IllegalArgumentException(
                        "no SCRAM password for broker user " + brokerUser);
            }
        }
    }

    /** Formats a fresh log directory under {@code directory} and starts the broker. */
    public static KafkaServer start(Path libDirectory, Path directory, int port, String heap)
            throws IOException {
        return start(libDirectory, directory, port, heap, null);
    }

    /**
     * As above; with {@code security} set, the only client and inter-broker listener is {@code
     * SASL_SSL} (SCRAM-SHA-512), so nothing reaches the broker without TLS and a password.
     */
    public static KafkaServer start(
            Path libDirectory, Path directory, int port, String heap, SaslScramTls security)
            throws IOException {
        Files.createDirectories(directory);
        int controllerPort = Ports.free();
        String listener = security == null ? "PLAINTEXT" : "SASL_SSL";
        Path properties = directory.resolve("server.properties");
        Files.writeString(
                properties,
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners="
                                + listener
                                + "://127.0.0.1:"
                                + port
                                + ",CONTROLLER://127.0.0.1:"
                                + controllerPort,
                        "advertised.listeners=" + listener + "://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "inter.broker.listener.name=" + listener,
                        "listener.security.protocol.map="
                                + listener
                                + ":"
                                + listener
                                + ",CONTROLLER:PLAINTEXT",
                        "log.dirs=" + directory.resolve("data").toAbsolutePath(),
                        "num.partitions=1",
                        "auto.create.topics.enable=false",
                        "offsets.topic.replication.factor=1",
                        "offsets.topic.num.partitions=4",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "transaction.state.log.num.partitions=4",
                        "share.coordinator.state.topic.replication.factor=1",
                        "share.coordinator.state.topic.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        // The 128 MiB default dedupe buffer alone would exhaust a small heap.
                        "log.cleaner.dedupe.buffer.size=8388608",
                        "message.max.bytes=" + MESSAGE_MAX_BYTES,
                        "replica.fetch.max.bytes=" + MESSAGE_MAX_BYTES,
                        "num.network.threads=2",
                        "num.io.threads=2",
                        "background.threads=2",
                        ""));
        if (security != null) {
            Files.writeString(
                    properties,
                    String.join(
                            "\n",
                            "sasl.enabled.mechanisms=SCRAM-SHA-512",
                            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                                    + scramJaas(
                                            security.brokerUser(),
                                            security.scramUsers().get(security.brokerUser())),
                            "ssl.keystore.type=PKCS12",
                            "ssl.keystore.location=" + security.keystore().toAbsolutePath(),
                            "ssl.keystore.password=" + security.storePassword(),
                            "ssl.truststore.type=PKCS12",
                            "ssl.truststore.location=" + security.truststore().toAbsolutePath(),
                            "ssl.truststore.password=" + security.storePassword(),
                            ""),
                    java.nio.file.StandardOpenOption.APPEND);
        }
        Path log4j = directory.resolve("log4j2.properties");
        Files.writeString(
                log4j,
                String.join(
                        "\n",
                        "rootLogger.level=INFO",
                        "rootLogger.appenderRef.out.ref=out",
                        "appender.out.type=Console",
                        "appender.out.name=out",
                        "appender.out.layout.type=PatternLayout",
                        "appender.out.layout.pattern=[%d] %p %m (%c)%n",
                        "logger.kafka.name=kafka",
                        "logger.kafka.level=INFO",
                        "logger.apache.name=org.apache.kafka",
                        "logger.apache.level=WARN",
                        ""));
        List<String> jvm =
                new ArrayList<>(
                        List.of(
                                "-Xms" + heap,
                                "-Xmx" + heap,
                                "-XX:+UseSerialGC",
                                // Every pause with its length, as the Cassandra node logs them.
                                ServerProcess.gcLogFlag(directory),
                                "-XX:+ExitOnOutOfMemoryError",
                                "-Dlog4j2.configurationFile=" + log4j.toAbsolutePath(),
                                "-Djava.awt.headless=true"));
        format(libDirectory, directory, properties, jvm, security);
        KafkaServer server = new KafkaServer(libDirectory, directory, properties, jvm, port);
        server.launch();
        return server;
    }

    /** The JAAS line of a SCRAM client (or of the broker's own inter-broker client). */
    public static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user
                + "\" password=\""
                + password
                + "\";";
    }

    private void launch() throws IOException {
        process =
                ServerProcess.start(
                        "kafka",
                        libDirectory,
                        directory,
                        jvmOptions,
                        "kafka.Kafka",
                        List.of(properties.toAbsolutePath().toString()));
        try {
            process.awaitLogLine("Kafka Server started", Duration.ofSeconds(90));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Stops the broker gracefully (SIGTERM: controlled shutdown, logs flushed), keeping its data
     * and port for {@link #restart()}. For fault drills.
     */
    public void stop() {
        process.stop(Duration.ofSeconds(60));
    }

    /** Starts the stopped broker again on the same data and port and waits until it serves. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("Kafka is still running (pid " + process.pid() + ")");
        }
        launch();
    }

    private static void format(
            Path lib, Path directory, Path properties, List<String> jvm, SaslScramTls security)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Commands.javaLauncher());
        command.addAll(jvm);
        command.addAll(
                List.of(
                        "-cp",
                        lib.toAbsolutePath() + "/*",
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        Uuid.randomUuid().toString(),
                        "-c",
                        properties.toAbsolutePath().toString(),
                        "--ignore-formatted"));
        if (security != null) {
            // KRaft keeps SCRAM credentials in the metadata log: they are created at format time.
            security.scramUsers()
                    .forEach(
                            (user, password) -> {
                                command.add("--add-scram");
                                command.add(
                                        "SCRAM-SHA-512=[name="
                                                + user
                                                + ",password="
                                                + password
                                                + "]");
                            });
        }
        Commands.run(
                command,
                directory.resolve("format.log"),
                Duration.ofSeconds(60),
                "Kafka storage format");
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(30));
    }
}
