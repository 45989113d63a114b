package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real Kafka and Cassandra on 127.0.0.1 for the demo and the integration tests: both servers as
 * child JVMs, data under one work directory, free ports by default, small heaps. Started servers
 * are stopped by {@link #close()}, by a shutdown hook (Ctrl-C, normal exit) and, if this JVM is
 * killed, by their own {@link ParentWatchdog}.
 *
 * <p>The servers' class paths are resolved by the build into {@code target/localstack/<server>/lib}
 * (see {@code localstack/resolve.sh}); override the location with the system property {@value
 * #LIB_PROPERTY}.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    public static final String LIB_PROPERTY = "imagestream.localstack.dir";

    /**
     * Where the servers' class paths were resolved: {@value #LIB_PROPERTY} if set, else {@code
     * target/localstack}; each server's jars are in {@code <server>/lib} below it.
     */
    public static Path libRoot() {
        return Path.of(System.getProperty(LIB_PROPERTY, "target/localstack"));
    }

    private final Path workDirectory;
    private final KafkaServer kafka;
    private final CassandraServer cassandra;
    private final Thread shutdownHook;

    private LocalStack(Path workDirectory, KafkaServer kafka, CassandraServer cassandra) {
        this.workDirectory = workDirectory;
        this.kafka = kafka;
        this.cassandra = cassandra;
        this.shutdownHook = new Thread(this::stopServers, "localstack-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String cassandraContactPoint() {
        return cassandra.contactPoint();
    }

    public Path workDirectory() {
        return workDirectory;
    }

    public KafkaServer kafka() {
        return kafka;
    }

    public CassandraServer cassandra() {
        return cassandra;
    }

    /** Creates topics (idempotent) with the partition count given and the image size limits. */
    public void createTopics(int partitions, String... topics) throws IOException {
        createTopics(bootstrapServers(), partitions, topics);
    }

    /**
     * Creates topics (idempotent, replication factor 1) on the brokers given, with the partition
     * count given and the image size limits.
     */
    public static void createTopics(String bootstrapServers, int partitions, String... topics)
            throws IOException {
        try (Admin admin =
                Admin.create(
                        java.util.Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (String topic : topics) {
                newTopics.add(
                        new NewTopic(topic, partitions, (short) 1)
                                .configs(
                                        java.util.Map.of(
                                                "max.message.bytes",
                                                Integer.toString(KafkaServer.MESSAGE_MAX_BYTES))));
            }
            for (var entry : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IOException(
                                "cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            LOG.debug("Topics now: {}", names);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot create topics", e);
        }
    }

    @Override
    public void close() {
        stopServers();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or has run; nothing to remove.
        }
    }

    private synchronized void stopServers() {
        // Cassandra first: nothing depends on it being up while Kafka stops.
        cassandra.close();
        kafka.close();
    }

    /** Builder: work directory, ports (0 = free port), heaps. */
    public static final class Builder {
        private Path workDirectory;
        private int kafkaPort;
        private int cassandraPort;
        private String kafkaHeap = "256m";
        private String cassandraHeap = "512m";
        private Map<String, String> cassandraSettings = Map.of();
        private boolean cassandraJmx;
        private Path libRoot;

        public Builder workDirectory(Path workDirectory) {
            this.workDirectory = workDirectory;
            return this;
        }

        public Builder kafkaPort(int port) {
            this.kafkaPort = port;
            return this;
        }

        public Builder cassandraPort(int port) {
            this.cassandraPort = port;
            return this;
        }

        public Builder kafkaHeap(String heap) {
            this.kafkaHeap = heap;
            return this;
        }

        public Builder cassandraHeap(String heap) {
            this.cassandraHeap = heap;
            return this;
        }

        /**
         * Top-level cassandra.yaml settings replaced or added on the local node ({@code
         * "memtable_heap_space" -> "128MiB"}), so a benchmark can measure the whole pipeline under
         * other node settings; JMX then listens on a local port.
         */
        public Builder cassandraSettings(Map<String, String> settings) {
            this.cassandraSettings = Map.copyOf(settings);
            return this;
        }

        /**
         * JMX on a local port of the node ({@link CassandraServer#jmxPort()}), without changing its
         * settings, so a benchmark can flush it and wait for its compactions.
         */
        public Builder cassandraJmx(boolean cassandraJmx) {
            this.cassandraJmx = cassandraJmx;
            return this;
        }

        public Builder libRoot(Path libRoot) {
            this.libRoot = libRoot;
            return this;
        }

        /** Starts Kafka and Cassandra in parallel (Cassandra dominates start-up time). */
        public LocalStack start() throws IOException {
            if (workDirectory == null) {
                throw new IllegalStateException("LocalStack needs a work directory");
            }
            Path libs = libRoot != null ? libRoot : LocalStack.libRoot();
            Files.createDirectories(workDirectory);
            // A local stack always starts empty: old data would carry another Kafka cluster id
            // and old keyspaces.
            FileUtils.deleteDirectory(workDirectory.resolve("kafka").resolve("data").toFile());
            FileUtils.deleteDirectory(workDirectory.resolve("cassandra").resolve("data").toFile());
            int kPort = kafkaPort > 0 ? kafkaPort : Ports.free();
            int cPort = cassandraPort > 0 ? cassandraPort : Ports.free();
            long started = System.currentTimeMillis();
            java.util.concurrent.CompletableFuture<CassandraServer> cassandraFuture =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    Path cassandraLib = libs.resolve("cassandra/lib");
                                    Path cassandraWork = workDirectory.resolve("cassandra");
                                    return cassandraSettings.isEmpty() && !cassandraJmx
                                            ? CassandraServer.start(
                                                    cassandraLib,
                                                    cassandraWork,
                                                    cPort,
                                                    cassandraHeap)
                                            : CassandraServer.startWithSettings(
                                                    cassandraLib,
                                                    cassandraWork,
                                                    cPort,
                                                    cassandraHeap,
                                                    cassandraSettings);
                                } catch (IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                            });
            KafkaServer kafka;
            try {
                kafka =
                        KafkaServer.start(
                                libs.resolve("kafka/lib"),
                                workDirectory.resolve("kafka"),
                                kPort,
                                kafkaHeap);
            } catch (IOException | RuntimeException e) {
                cassandraFuture.thenAccept(CassandraServer::close);
                throw e;
            }
            CassandraServer cassandra;
            try {
                cassandra = cassandraFuture.join();
            } catch (java.util.concurrent.CompletionException e) {
                kafka.close();
                Throwable cause =
                        e.getCause() instanceof java.io.UncheckedIOException u
                                ? u.getCause()
                                : e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause);
            }
            LOG.info(
                    "Local stack up in {} ms: Kafka {} (pid {}), Cassandra {} (pid {})",
                    System.currentTimeMillis() - started,
                    kafka.bootstrapServers(),
                    kafka.pid(),
                    cassandra.contactPoint(),
                    cassandra.pid());
            return new LocalStack(workDirectory, kafka, cassandra);
        }
    }
}
