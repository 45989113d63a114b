package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.OptionsMap;
import com.datastax.oss.driver.api.core.config.TypedDriverOption;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.imagestream.model.Domain;

/**
 * Where and how to reach Cassandra, and how to store there: contact points, local datacenter,
 * keyspace and replication, consistency, credentials and TLS, per-domain TTLs, and the writer's
 * limits. Serializable so it travels with the sink to every subtask, where the session is opened.
 *
 * <p>Driver settings layer: the values set here override an optional driver {@code
 * application.conf} ({@link Builder#driverConfigFile}), which overrides the driver's defaults.
 * Secrets are read from files when the session opens, never stored in the job graph.
 */
public final class CassandraSettings implements Serializable {
    private static final long serialVersionUID = 3L;

    /** Cassandra recommends cells well under 1 MiB; 256 KiB keeps chunk writes cheap. */
    public static final int DEFAULT_CHUNK_SIZE = 256 * 1024;

    private final List<String> contactPoints;
    private final String localDatacenter;
    private final String keyspace;
    private final boolean keyspacePerDomain;
    private final java.util.EnumSet<Domain> domains;
    private final String replicationStrategy;
    private final int replicationFactor;
    private final String consistency;
    private final String driverConfigFile;
    private final String username;
    private final String passwordFile;
    private final String truststoreFile;
    private final String truststorePasswordFile;
    private final EnumMap<Domain, Duration> ttls;
    private final Duration dedupWindow;
    private final int maxInFlightRequests;
    private final int chunkSize;
    private final int maxRetries;
    private final Duration requestTimeout;

    private CassandraSettings(Builder builder) {
        this.contactPoints = List.copyOf(builder.contactPoints);
        this.localDatacenter = builder.localDatacenter;
        this.keyspace = builder.keyspace;
        this.keyspacePerDomain = builder.keyspacePerDomain;
        this.domains = java.util.EnumSet.copyOf(builder.domains);
        this.replicationStrategy = builder.replicationStrategy;
        this.replicationFactor = builder.replicationFactor;
        this.consistency = builder.consistency;
        this.driverConfigFile = builder.driverConfigFile;
        this.username = builder.username;
        this.passwordFile = builder.passwordFile;
        this.truststoreFile = builder.truststoreFile;
        this.truststorePasswordFile = builder.truststorePasswordFile;
        this.ttls = new EnumMap<>(builder.ttls);
        this.dedupWindow = builder.dedupWindow;
        this.maxInFlightRequests = builder.maxInFlightRequests;
        this.chunkSize = builder.chunkSize;
        this.maxRetries = builder.maxRetries;
        this.requestTimeout = builder.requestTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<String> contactPoints() {
        return contactPoints;
    }

    public String localDatacenter() {
        return localDatacenter;
    }

    /** The configured keyspace name: the keyspace, or the prefix of the per-domain keyspaces. */
    public String keyspace() {
        return keyspace;
    }

    public boolean keyspacePerDomain() {
        return keyspacePerDomain;
    }

    /**
     * The keyspace holding a domain's tables: the configured keyspace, or with {@code
     * keyspacePerDomain} its own keyspace {@code <keyspace>_<domain>} (e.g. {@code
     * imagestream_medical}), so a Cassandra role can be granted medical or non-medical data only.
     */
    public String keyspace(Domain domain) {
        return keyspacePerDomain ? keyspace + "_" + domain.id().replace('-', '_') : keyspace;
    }

    /** {@link #keyspace(Domain)} of a domain id as stored in rows; unknown ids are refused. */
    public String keyspaceOf(String domainId) {
        return keyspace(Domain.fromId(domainId));
    }

    /** The distinct keyspaces that hold these domains' tables, in domain order. */
    public List<String> keyspaces(java.util.Collection<Domain> domains) {
        return domains.stream().sorted().map(this::keyspace).distinct().toList();
    }

    /**
     * The domains whose rows this configuration stores (the job: the domains it has models for).
     */
    public java.util.Set<Domain> domains() {
        return java.util.Collections.unmodifiableSet(domains);
    }

    /** Every keyspace this configuration writes to: those of {@link #domains()}. */
    public List<String> keyspaces() {
        return keyspaces(domains);
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    /** The keyspace's replication map in CQL, e.g. {@code {'class': 'SimpleStrategy', ...}}. */
    public String replicationCql() {
        if (replicationStrategy.equals("NetworkTopologyStrategy")) {
            return "{'class': 'NetworkTopologyStrategy', '"
                    + localDatacenter
                    + "': "
                    + replicationFactor
                    + "}";
        }
        return "{'class': 'SimpleStrategy', 'replication_factor': " + replicationFactor + "}";
    }

    /** Time to live of a domain's rows, in seconds; 0 keeps them forever. */
    public int ttlSeconds(String domain) {
        try {
            Duration ttl = ttls.get(Domain.fromId(domain));
            return ttl == null ? 0 : (int) ttl.toSeconds();
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /**
     * Time to live of a blob stored for a domain's image, in seconds; 0 keeps it forever. A blob is
     * written with its image's first copy; a deduplicated copy arriving up to the dedup window
     * later gets a result row with the full row TTL but no new blob write. So the blob lives the
     * row TTL plus the window, and never expires before a row that points at it.
     */
    public int blobTtlSeconds(String domain) {
        int rowTtl = ttlSeconds(domain);
        return rowTtl == 0 ? 0 : Math.toIntExact(rowTtl + dedupWindow.toSeconds());
    }

    public int maxInFlightRequests() {
        return maxInFlightRequests;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public int maxRetries() {
        return maxRetries;
    }

    /** Opens a session (not bound to the keyspace, which may not exist yet). */
    public CqlSession openSession() {
        CqlSessionBuilder builder = CqlSession.builder().withConfigLoader(configLoader());
        for (String contactPoint : contactPoints) {
            builder.addContactPoint(parse(contactPoint));
        }
        return builder.build();
    }

    /**
     * The driver's settings in three layers: the values set here, over the driver config file
     * ({@link Builder#driverConfigFile}) if one is given, over the driver's defaults (with the
     * close-time defaults below when there is no file). The first layer holds only the values set
     * here: a programmatic loader carries every default of the driver's reference.conf, so composed
     * over the file it left none of the file's settings in effect.
     */
    DriverConfigLoader configLoader() {
        OptionsMap options = new OptionsMap();
        options.put(TypedDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, localDatacenter);
        options.put(TypedDriverOption.REQUEST_CONSISTENCY, consistency);
        options.put(TypedDriverOption.REQUEST_TIMEOUT, requestTimeout);
        // Schema changes from several subtasks at start must settle before use.
        options.put(TypedDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30));
        if (username != null) {
            options.put(TypedDriverOption.AUTH_PROVIDER_CLASS, "PlainTextAuthProvider");
            options.put(TypedDriverOption.AUTH_PROVIDER_USER_NAME, username);
            options.put(
                    TypedDriverOption.AUTH_PROVIDER_PASSWORD,
                    readSecret(passwordFile, "cassandra.password-file"));
        }
        if (truststoreFile != null) {
            options.put(TypedDriverOption.SSL_ENGINE_FACTORY_CLASS, "DefaultSslEngineFactory");
            options.put(TypedDriverOption.SSL_TRUSTSTORE_PATH, truststoreFile);
            if (truststorePasswordFile != null) {
                options.put(
                        TypedDriverOption.SSL_TRUSTSTORE_PASSWORD,
                        readSecret(
                                truststorePasswordFile, "cassandra.ssl.truststore-password-file"));
            }
        }
        DriverConfigLoader below =
                driverConfigFile != null
                        ? DriverConfigLoader.fromPath(Path.of(driverConfigFile))
                        : DriverConfigLoader.programmaticBuilder()
                                // Closing a session waits out Netty's quiet period (2 s by
                                // default) on each of its two event loop groups after the
                                // connections are closed: seconds added to every CLI command
                                // and job stop for no work. 200 ms, not 0: with 0, a listener
                                // notified just after the close was logged as an ERROR (the
                                // event loop had terminated). A driver config file decides it.
                                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 200)
                                .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_TIMEOUT, 15_000)
                                .withString(
                                        DefaultDriverOption.NETTY_IO_SHUTDOWN_UNIT, "MILLISECONDS")
                                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 200)
                                .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_TIMEOUT, 15_000)
                                .withString(
                                        DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_UNIT,
                                        "MILLISECONDS")
                                .build();
        return DriverConfigLoader.compose(DriverConfigLoader.fromMap(options), below);
    }

    private static String readSecret(String file, String option) {
        if (file == null) {
            throw new IllegalArgumentException(option + " must be set when a user name is set");
        }
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + option + " " + file, e);
        }
    }

    static InetSocketAddress parse(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon < 0) {
            return new InetSocketAddress(hostAndPort, 9042);
        }
        return new InetSocketAddress(
                hostAndPort.substring(0, colon),
                Integer.parseInt(hostAndPort.substring(colon + 1)));
    }

    /** Builder; {@link #build()} checks every value and says how to fix it. */
    public static final class Builder {
        private List<String> contactPoints = new ArrayList<>(List.of("127.0.0.1:9042"));
        private String localDatacenter = "datacenter1";
        private String keyspace = "imagestream";
        private boolean keyspacePerDomain;
        private java.util.Set<Domain> domains = java.util.EnumSet.allOf(Domain.class);
        private String replicationStrategy = "SimpleStrategy";
        private int replicationFactor = 1;
        private String consistency = "LOCAL_QUORUM";
        private String driverConfigFile;
        private String username;
        private String passwordFile;
        private String truststoreFile;
        private String truststorePasswordFile;
        private Map<Domain, Duration> ttls = new EnumMap<>(Domain.class);
        private Duration dedupWindow = Duration.ZERO;
        private int maxInFlightRequests = 64;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private int maxRetries = 5;
        private Duration requestTimeout = Duration.ofSeconds(10);

        public Builder contactPoints(List<String> contactPoints) {
            this.contactPoints = new ArrayList<>(contactPoints);
            return this;
        }

        public Builder localDatacenter(String localDatacenter) {
            this.localDatacenter = localDatacenter;
            return this;
        }

        public Builder keyspace(String keyspace) {
            this.keyspace = keyspace;
            return this;
        }

        /** Each domain's tables in its own keyspace {@code <keyspace>_<domain>}. */
        public Builder keyspacePerDomain(boolean keyspacePerDomain) {
            this.keyspacePerDomain = keyspacePerDomain;
            return this;
        }

        /** The domains whose rows are stored (default: all three). */
        public Builder domains(java.util.Collection<Domain> domains) {
            this.domains = java.util.EnumSet.noneOf(Domain.class);
            this.domains.addAll(domains);
            return this;
        }

        /** {@code SimpleStrategy} or {@code NetworkTopologyStrategy} (factor in the local DC). */
        public Builder replicationStrategy(String replicationStrategy) {
            this.replicationStrategy = replicationStrategy;
            return this;
        }

        public Builder replicationFactor(int replicationFactor) {
            this.replicationFactor = replicationFactor;
            return this;
        }

        /** Driver consistency level name for reads and writes, e.g. {@code LOCAL_QUORUM}. */
        public Builder consistency(String consistency) {
            this.consistency = consistency;
            return this;
        }

        /** A driver {@code application.conf}; settings made on this builder take precedence. */
        public Builder driverConfigFile(String driverConfigFile) {
            this.driverConfigFile = driverConfigFile;
            return this;
        }

        /** Plain-text authentication; the password is read from {@code passwordFile} at connect. */
        public Builder credentials(String username, String passwordFile) {
            this.username = username;
            this.passwordFile = passwordFile;
            return this;
        }

        /** Client TLS with this trust store (JKS or PKCS12); its password from a file. */
        public Builder truststore(String truststoreFile, String truststorePasswordFile) {
            this.truststoreFile = truststoreFile;
            this.truststorePasswordFile = truststorePasswordFile;
            return this;
        }

        public Builder ttl(Domain domain, Duration ttl) {
            if (ttl == null || ttl.isZero()) {
                ttls.remove(domain);
            } else {
                ttls.put(domain, ttl);
            }
            return this;
        }

        /**
         * How long after an image's first copy a copy of it can still be deduplicated (the job's
         * {@code routing.dedup-ttl}): blob TTLs are extended by it.
         */
        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = dedupWindow;
            return this;
        }

        public Builder maxInFlightRequests(int maxInFlightRequests) {
            this.maxInFlightRequests = maxInFlightRequests;
            return this;
        }

        public Builder chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public CassandraSettings build() {
            if (contactPoints.isEmpty()) {
                throw new IllegalArgumentException(
                        "cassandra contact points are empty; set at least one host:port");
            }
            Objects.requireNonNull(localDatacenter, "cassandra local datacenter must be set");
            // Cassandra names are at most 48 characters; "_remote_sensing" takes 15 of them.
            int maxLength = keyspacePerDomain ? 33 : 48;
            if (keyspace == null
                    || !keyspace.matches("[a-zA-Z][a-zA-Z0-9_]*")
                    || keyspace.length() > maxLength) {
                throw new IllegalArgumentException(
                        "cassandra keyspace '"
                                + keyspace
                                + "' is not a valid unquoted CQL name (letter, then letters, digits, _;"
                                + " at most "
                                + maxLength
                                + " characters"
                                + (keyspacePerDomain ? " with a keyspace per domain)" : ")"));
            }
            if (domains.isEmpty()) {
                throw new IllegalArgumentException("cassandra settings need at least one domain");
            }
            if (!List.of("SimpleStrategy", "NetworkTopologyStrategy")
                    .contains(replicationStrategy)) {
                throw new IllegalArgumentException(
                        "replication strategy must be SimpleStrategy or NetworkTopologyStrategy, got "
                                + replicationStrategy);
            }
            if (replicationFactor < 1) {
                throw new IllegalArgumentException("replication factor must be >= 1");
            }
            try {
                com.datastax.oss.driver.api.core.DefaultConsistencyLevel.valueOf(consistency);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown consistency level '"
                                + consistency
                                + "' (e.g. ONE, LOCAL_QUORUM, QUORUM)");
            }
            if (maxInFlightRequests < 1) {
                throw new IllegalArgumentException("max in-flight requests must be >= 1");
            }
            if (chunkSize < 1024 || chunkSize > 1024 * 1024) {
                throw new IllegalArgumentException(
                        "blob chunk size must be between 1 KiB and 1 MiB, got " + chunkSize);
            }
            if (maxRetries < 0) {
                throw new IllegalArgumentException("max retries must be >= 0");
            }
            if (username != null && passwordFile == null) {
                throw new IllegalArgumentException(
                        "cassandra.username is set but cassandra.password-file is not");
            }
            if (driverConfigFile != null && !Files.isRegularFile(Path.of(driverConfigFile))) {
                throw new IllegalArgumentException(
                        "cassandra driver config file " + driverConfigFile + " does not exist");
            }
            return new CassandraSettings(this);
        }
    }
}
