package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real single-node Cassandra 5 on 127.0.0.1, run as its own JVM from the Maven Central {@code
 * cassandra-all} artifact (never inside the test JVM: Cassandra installs a global security manager
 * and cannot be restarted in-process). JVM flags follow Cassandra's {@code jvm17-server.options}.
 */
public final class CassandraServer implements AutoCloseable {
    /**
     * Memtable cells and values off the heap, in a pool of 256 MiB: image bytes wait for their
     * flush without being copied by the collector, and flushes are larger and fewer. With blob
     * chunks under UCS fan-out 8 this cost the node less CPU per stored MB than the old schema's
     * heap memtables (StorageBenchmark --node-settings, docs/benchmarks.md, session 20). Given as
     * Cassandra's {@code cassandra.settings.*} system properties, the way docker-compose.yml's node
     * gets them too ({@link #settingsAsSystemProperties}), so the tests' node proves that spelling.
     */
    public static final Map<String, String> MEMTABLE_SETTINGS =
            Map.of(
                    "memtable_allocation_type",
                    "offheap_objects",
                    "memtable_offheap_space",
                    "256MiB");

    private static final List<String> JDK17_FLAGS =
            List.of(
                    "-Djdk.attach.allowAttachSelf=true",
                    "--add-exports",
                    "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-exports",
                    "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
                    "--add-exports",
                    "java.rmi/sun.rmi.registry=ALL-UNNAMED",
                    "--add-exports",
                    "java.rmi/sun.rmi.server=ALL-UNNAMED",
                    "--add-exports",
                    "java.sql/java.sql=ALL-UNNAMED",
                    "--add-exports",
                    "java.base/java.lang.ref=ALL-UNNAMED",
                    "--add-exports",
                    "jdk.unsupported/sun.misc=ALL-UNNAMED",
                    "--add-exports",
                    "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
                    "--add-exports",
                    "jdk.attach/sun.tools.attach=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.lang.module=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.loader=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.ref=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.reflect=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.math=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.module=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/jdk.internal.util.jar=ALL-UNNAMED",
                    "--add-opens",
                    "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.io=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens",
                    "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.lang=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.util=ALL-UNNAMED",
                    "-Dio.netty.tryReflectionSetAccessible=true");

    private final Path libDirectory;
    private final Path directory;
    private final List<String> jvmOptions;
    private final String address;
    private final int nativePort;
    private final int jmxPort;
    private volatile ServerProcess process;

    private CassandraServer(
            Path libDirectory,
            Path directory,
            List<String> jvmOptions,
            String address,
            int nativePort,
            int jmxPort) {
        this.libDirectory = libDirectory;
        this.directory = directory;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.address = address;
        this.nativePort = nativePort;
        this.jmxPort = jmxPort;
    }

    /**
     * Client-facing security: {@code PasswordAuthenticator} and {@code CassandraAuthorizer} (the
     * default superuser {@code cassandra}/{@code cassandra} exists at start, to create roles with),
     * and TLS required on the native port with this PKCS12 key store.
     */
    public record ClientSecurity(Path keystore, String keystorePassword) {}

    public static CassandraServer start(
            Path libDirectory, Path directory, int nativePort, String heap) throws IOException {
        return start(libDirectory, directory, nativePort, heap, null);
    }

    /** As above; with {@code security} set, clients must authenticate and speak TLS. */
    public static CassandraServer start(
            Path libDirectory, Path directory, int nativePort, String heap, ClientSecurity security)
            throws IOException {
        return start(
                libDirectory, directory, singleNode(nativePort), heap, security, Map.of(), false);
    }

    /**
     * As {@link #start(Path, Path, int, String)}, with top-level cassandra.yaml settings replaced
     * or added ({@code "memtable_allocation_type" -> "offheap_objects"}), and JMX on a local port
     * ({@link #jmxPort()}), so a benchmark can compare node settings and flush the node.
     */
    public static CassandraServer startWithSettings(
            Path libDirectory,
            Path directory,
            int nativePort,
            String heap,
            Map<String, String> settings)
            throws IOException {
        return start(libDirectory, directory, singleNode(nativePort), heap, null, settings, true);
    }

    /** A cluster of one on 127.0.0.1, its own seed, at replication factor 1. */
    private static Node singleNode(int nativePort) {
        return new Node("127.0.0.1", nativePort, Ports.free(), "127.0.0.1", 1);
    }

    /**
     * Where one node of a (local) cluster listens: its own loopback address, the ports every node
     * of the cluster shares, the seed's address, and the replication factor its tokens are
     * allocated for.
     */
    public record Node(
            String address, int nativePort, int storagePort, String seed, int replicationFactor) {}

    /**
     * Starts one node of a multi-node cluster on its own loopback address (127.0.0.2, ... exist on
     * Linux without configuration). Start the seed first and the others one at a time: Cassandra
     * refuses concurrent joins.
     */
    public static CassandraServer startNode(
            Path libDirectory, Path directory, Node node, String heap) throws IOException {
        return start(libDirectory, directory, node, heap, null, Map.of(), false);
    }

    private static CassandraServer start(
            Path libDirectory,
            Path directory,
            Node node,
            String heap,
            ClientSecurity security,
            Map<String, String> settings,
            boolean localJmx)
            throws IOException {
        Files.createDirectories(directory);
        int storagePort = node.storagePort();
        int nativePort = node.nativePort();
        Path data = directory.resolve("data").toAbsolutePath();
        Path yaml = directory.resolve("cassandra.yaml");
        List<String> lines =
                List.of(
                        "cluster_name: imagestream-local",
                        "num_tokens: 16",
                        "allocate_tokens_for_local_replication_factor: " + node.replicationFactor(),
                        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
                        "data_file_directories: [" + data.resolve("data") + "]",
                        "commitlog_directory: " + data.resolve("commitlog"),
                        "saved_caches_directory: " + data.resolve("saved_caches"),
                        "hints_directory: " + data.resolve("hints"),
                        "cdc_raw_directory: " + data.resolve("cdc_raw"),
                        "commitlog_sync: periodic",
                        "commitlog_sync_period: 10000ms",
                        // Memory-mapped segments: an acknowledged write is in the page cache at
                        // once and survives a kill -9 of this (single-replica) node. O_DIRECT
                        // ("auto") cost less CPU per stored MB but holds a segment in the
                        // process until the next periodic sync, and the job's kill drill then
                        // lost acknowledged rows (docs/benchmarks.md, node settings).
                        "commitlog_disk_access_mode: legacy",
                        "seed_provider:",
                        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
                        "    parameters:",
                        "      - seeds: \"" + node.seed() + ":" + storagePort + "\"",
                        "listen_address: " + node.address(),
                        "rpc_address: " + node.address(),
                        "storage_port: " + storagePort,
                        "native_transport_port: " + nativePort,
                        "start_native_transport: true",
                        "endpoint_snitch: SimpleSnitch",
                        security == null
                                ? "authenticator: AllowAllAuthenticator"
                                : "authenticator: PasswordAuthenticator",
                        security == null
                                ? "authorizer: AllowAllAuthorizer"
                                : "authorizer: CassandraAuthorizer",
                        "role_manager: CassandraRoleManager",
                        // Several 5 MiB requests in flight from one client must not be throttled.
                        "native_transport_max_request_data_in_flight_per_ip: 128MiB",
                        "native_transport_max_request_data_in_flight: 256MiB",
                        // Cassandra refuses a larger single write (default: half of the 32 MiB
                        // commit log segment). The job's blob chunks are 256 KiB by default and
                        // at most 1 MiB (cassandra.blob-chunk-size), so only a job configured
                        // above this sees Cassandra's own per-record refusal
                        // (StorageRefusalITCase).
                        "max_mutation_size: 768KiB",
                        "concurrent_reads: 4",
                        "concurrent_writes: 8",
                        "concurrent_counter_writes: 2",
                        "concurrent_compactors: 1",
                        // The memtable configurations of the stock 5.0 cassandra.yaml, so a table
                        // may choose one (`memtable = 'trie'`) as on a stock node.
                        "memtable:",
                        "  configurations:",
                        "    skiplist:",
                        "      class_name: SkipListMemtable",
                        "    trie:",
                        "      class_name: TrieMemtable",
                        "    default:",
                        "      inherits: skiplist",
                        "memtable_heap_space: 48MiB",
                        "key_cache_size: 4MiB",
                        "file_cache_size: 16MiB",
                        "disk_access_mode: standard",
                        "dynamic_snitch: false",
                        "auto_snapshot: false",
                        "snapshot_on_duplicate_row_detection: false");
        Files.writeString(yaml, String.join("\n", withSettings(lines, settings)) + "\n");
        if (security != null) {
            Files.writeString(
                    yaml,
                    String.join(
                            "\n",
                            "client_encryption_options:",
                            "  enabled: true",
                            "  optional: false",
                            "  keystore: " + security.keystore().toAbsolutePath(),
                            "  keystore_password: \"" + security.keystorePassword() + "\"",
                            "  store_type: PKCS12",
                            "  require_client_auth: false",
                            ""),
                    java.nio.file.StandardOpenOption.APPEND);
        }
        Path logback = directory.resolve("logback.xml");
        Files.writeString(
                logback,
                String.join(
                        "\n",
                        "<configuration>",
                        "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                        "    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>",
                        "  </appender>",
                        "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
                        "</configuration>",
                        ""));
        List<String> jvm =
                new ArrayList<>(
                        List.of(
                                "-Xms" + heap,
                                "-Xmx" + heap,
                                "-Xss512k",
                                "-XX:+UseSerialGC",
                                // Every pause with its length, beside cassandra.log (whose
                                // GCInspector reports only pauses over 200 ms).
                                ServerProcess.gcLogFlag(directory),
                                "-XX:+ExitOnOutOfMemoryError",
                                "-XX:MaxDirectMemorySize=256m"));
        jvm.addAll(JDK17_FLAGS);
        // A setting the caller names goes into cassandra.yaml instead (system properties win).
        Map<String, String> memtable = new LinkedHashMap<>(MEMTABLE_SETTINGS);
        memtable.keySet().removeAll(settings.keySet());
        jvm.addAll(settingsAsSystemProperties(memtable));
        int jmxPort = localJmx ? Ports.free() : 0;
        if (jmxPort > 0) {
            // Cassandra then serves JMX on 127.0.0.1 only, without authentication.
            jvm.add("-Dcassandra.jmx.local.port=" + jmxPort);
        }
        jamm(libDirectory).ifPresent(agent -> jvm.add("-javaagent:" + agent));
        jvm.addAll(
                List.of(
                        "-Dcassandra-foreground=yes",
                        "-Dcassandra.config=file://" + yaml.toAbsolutePath(),
                        "-Dcassandra.storagedir=" + data,
                        "-Dcassandra.logdir=" + directory.toAbsolutePath(),
                        "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
                        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
                        // A joining node's gossip shadow round with the seed times out after the
                        // ring delay: 0 is only right for the seed (a single node is its own).
                        "-Dcassandra.ring_delay_ms="
                                + (node.address().equals(node.seed()) ? 0 : 5000),
                        // The default superuser is otherwise created only 10 s after start.
                        "-Dcassandra.superuser_setup_delay_ms=0",
                        "-Dcassandra.initial_token_allocation_disabled=false",
                        "-Djava.net.preferIPv4Stack=true",
                        "-Djava.awt.headless=true"));
        CassandraServer server =
                new CassandraServer(
                        libDirectory, directory, jvm, node.address(), nativePort, jmxPort);
        server.launch();
        return server;
    }

    /**
     * {@code settings} as the JVM options that set them over cassandra.yaml: Cassandra 5.0 reads
     * {@code -Dcassandra.settings.<name>=<value>} only when {@code
     * cassandra.config.allow_system_properties} is true. Sorted by name; none for no settings.
     */
    public static List<String> settingsAsSystemProperties(Map<String, String> settings) {
        if (settings.isEmpty()) {
            return List.of();
        }
        List<String> options = new ArrayList<>();
        options.add("-Dcassandra.config.allow_system_properties=true");
        settings.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e ->
                                options.add(
                                        "-Dcassandra.settings." + e.getKey() + "=" + e.getValue()));
        return options;
    }

    /**
     * {@code lines} with each top-level {@code key: value} in {@code settings} replaced or added.
     */
    static List<String> withSettings(List<String> lines, Map<String, String> settings) {
        Map<String, String> unused = new LinkedHashMap<>(settings);
        List<String> result = new ArrayList<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            String key = colon > 0 && !line.startsWith(" ") ? line.substring(0, colon) : null;
            if (key != null && unused.containsKey(key)) {
                result.add(key + ": " + unused.remove(key));
            } else {
                result.add(line);
            }
        }
        unused.forEach((key, value) -> result.add(key + ": " + value));
        return result;
    }

    private void launch() throws IOException {
        process =
                ServerProcess.start(
                        "cassandra",
                        libDirectory,
                        directory,
                        jvmOptions,
                        "org.apache.cassandra.service.CassandraDaemon",
                        List.of());
        try {
            process.awaitLogLine("Startup complete", Duration.ofSeconds(180));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Stops the node gracefully (SIGTERM: Cassandra drains and syncs its commit log), keeping its
     * data and ports for {@link #restart()}. For fault drills.
     */
    public void stop() {
        process.stop(Duration.ofSeconds(60));
    }

    /** {@code kill -9}: no drain, no commit log sync, like a lost machine. For fault drills. */
    public void kill() {
        process.kill();
    }

    /** Starts the stopped node again on the same data and ports and waits until it serves. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException(
                    "Cassandra is still running (pid " + process.pid() + ")");
        }
        launch();
    }

    private static java.util.Optional<String> jamm(Path lib) throws IOException {
        try (Stream<Path> files = Files.list(lib)) {
            return files.filter(p -> p.getFileName().toString().startsWith("jamm-"))
                    .map(p -> p.toAbsolutePath().toString())
                    .findFirst();
        }
    }

    public String contactPoint() {
        return address + ":" + nativePort;
    }

    /**
     * The local JMX port of a node started {@link #startWithSettings with settings} (or by a {@link
     * LocalStack} asked for JMX), else 0.
     */
    public int jmxPort() {
        return jmxPort;
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
