package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker (KRaft: broker and controller in one JVM) on 127.0.0.1, run from
 * the Maven Central {@code kafka_2.13} artifact. Limits are raised for images up to 16 MiB.
 */
public final class KafkaServer implements AutoCloseable {
    /** Broker side of the 16 MiB image limit (plus room for headers). */
    static final int MESSAGE_MAX_BYTES = 16 * 1024 * 1024 + 64 * 1024;

    private final ServerProcess process;
    private final int port;

    private KafkaServer(ServerProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Formats a fresh log directory under {@code directory} and starts the broker. */
    public static KafkaServer start(Path libDirectory, Path directory, int port, String heap)
            throws IOException {
        Files.createDirectories(directory);
        int controllerPort = Ports.free();
        Path properties = directory.resolve("server.properties");
        Files.writeString(
                properties,
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners=PLAINTEXT://127.0.0.1:"
                                + port
                                + ",CONTROLLER://127.0.0.1:"
                                + controllerPort,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "inter.broker.listener.name=PLAINTEXT",
                        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
                                "-XX:+ExitOnOutOfMemoryError",
                                "-Dlog4j2.configurationFile=" + log4j.toAbsolutePath(),
                                "-Djava.awt.headless=true"));
        format(libDirectory, directory, properties, jvm);
        ServerProcess process =
                ServerProcess.start(
                        "kafka",
                        libDirectory,
                        directory,
                        jvm,
                        "kafka.Kafka",
                        List.of(properties.toAbsolutePath().toString()));
        KafkaServer server = new KafkaServer(process, port);
        try {
            process.awaitLogLine("Kafka Server started", Duration.ofSeconds(90));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static void format(Path lib, Path directory, Path properties, List<String> jvm)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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
        Path log = directory.resolve("format.log");
        Process format =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        try {
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IOException("Kafka storage format failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            format.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while formatting Kafka storage", e);
        }
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
