package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where and how to reach Cassandra: contact points, local datacenter, keyspace, and the writer's
 * limits. Serializable so it travels with the sink to every subtask, where the session is opened.
 */
public final class CassandraSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Cassandra recommends cells well under 1 MiB; 256 KiB keeps chunk writes cheap. */
    public static final int DEFAULT_CHUNK_SIZE = 256 * 1024;

    private final List<String> contactPoints;
    private final String localDatacenter;
    private final String keyspace;
    private final int replicationFactor;
    private final int maxInFlightRequests;
    private final int chunkSize;
    private final int maxRetries;

    private CassandraSettings(Builder builder) {
        this.contactPoints = List.copyOf(builder.contactPoints);
        this.localDatacenter = builder.localDatacenter;
        this.keyspace = builder.keyspace;
        this.replicationFactor = builder.replicationFactor;
        this.maxInFlightRequests = builder.maxInFlightRequests;
        this.chunkSize = builder.chunkSize;
        this.maxRetries = builder.maxRetries;
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

    public String keyspace() {
        return keyspace;
    }

    public int replicationFactor() {
        return replicationFactor;
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
        CqlSessionBuilder builder = CqlSession.builder().withLocalDatacenter(localDatacenter);
        for (String contactPoint : contactPoints) {
            builder.addContactPoint(parse(contactPoint));
        }
        return builder.build();
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
        private int replicationFactor = 1;
        private int maxInFlightRequests = 64;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private int maxRetries = 5;

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

        public Builder replicationFactor(int replicationFactor) {
            this.replicationFactor = replicationFactor;
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

        public CassandraSettings build() {
            if (contactPoints.isEmpty()) {
                throw new IllegalArgumentException(
                        "cassandra contact points are empty; set at least one host:port");
            }
            Objects.requireNonNull(localDatacenter, "cassandra local datacenter must be set");
            if (keyspace == null || !keyspace.matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
                throw new IllegalArgumentException(
                        "cassandra keyspace '"
                                + keyspace
                                + "' is not a valid unquoted CQL name (letter, then letters, digits, _)");
            }
            if (replicationFactor < 1) {
                throw new IllegalArgumentException("replication factor must be >= 1");
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
            return new CassandraSettings(this);
        }
    }
}
