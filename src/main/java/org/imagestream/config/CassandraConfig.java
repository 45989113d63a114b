package org.imagestream.config;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;

/**
 * The one mapping from the {@code cassandra.*} {@link JobOptions} to {@link CassandraSettings}: the
 * job, every CLI command that reads or changes Cassandra, and the demo use it, so a setting means
 * the same thing (and has the same default and syntax) everywhere.
 */
public final class CassandraConfig {
    private CassandraConfig() {}

    /** The {@code cassandra.*} options, for commands that accept them without the job's others. */
    public static List<ConfigOption<?>> options() {
        return JobOptions.ALL.stream()
                .filter(option -> option.key().startsWith("cassandra."))
                .toList();
    }

    /**
     * Parses {@code cassandra.*} options alone (for the CLI); any other key is refused by name.
     * Values use the job's syntax (e.g. contact points separated by {@code ;}).
     */
    public static ReadableConfig parse(Map<String, String> values) {
        List<String> known = options().stream().map(ConfigOption::key).toList();
        Map<String, String> checked = new HashMap<>();
        values.forEach(
                (key, value) -> {
                    if (!known.contains(key)) {
                        throw new IllegalArgumentException(
                                "Unknown Cassandra option '" + key + "'; known: " + known);
                    }
                    checked.put(key, value);
                });
        return Configuration.fromMap(checked);
    }

    /** Settings storing these domains' rows. */
    public static CassandraSettings settings(ReadableConfig config, Collection<Domain> domains) {
        return builder(config).domains(domains).build();
    }

    /** A builder holding every {@code cassandra.*} option of {@code config}. */
    public static CassandraSettings.Builder builder(ReadableConfig config) {
        CassandraSettings.Builder builder =
                CassandraSettings.builder()
                        .contactPoints(config.get(JobOptions.CASSANDRA_CONTACT_POINTS))
                        .localDatacenter(config.get(JobOptions.CASSANDRA_LOCAL_DATACENTER))
                        .keyspace(config.get(JobOptions.CASSANDRA_KEYSPACE))
                        .keyspacePerDomain(config.get(JobOptions.CASSANDRA_KEYSPACE_PER_DOMAIN))
                        .replicationStrategy(config.get(JobOptions.CASSANDRA_REPLICATION_STRATEGY))
                        .replicationFactor(config.get(JobOptions.CASSANDRA_REPLICATION_FACTOR))
                        .consistency(config.get(JobOptions.CASSANDRA_CONSISTENCY))
                        .dedupWindow(config.get(JobOptions.DEDUP_TTL))
                        .maxInFlightRequests(config.get(JobOptions.CASSANDRA_MAX_IN_FLIGHT))
                        .chunkSize(config.get(JobOptions.CASSANDRA_CHUNK_SIZE))
                        .ttl(Domain.SOCIAL, config.get(JobOptions.CASSANDRA_TTL_SOCIAL))
                        .ttl(
                                Domain.REMOTE_SENSING,
                                config.get(JobOptions.CASSANDRA_TTL_REMOTE_SENSING))
                        .ttl(Domain.MEDICAL, config.get(JobOptions.CASSANDRA_TTL_MEDICAL));
        config.getOptional(JobOptions.CASSANDRA_DRIVER_CONFIG_FILE)
                .ifPresent(builder::driverConfigFile);
        config.getOptional(JobOptions.CASSANDRA_USERNAME)
                .ifPresent(
                        user ->
                                builder.credentials(
                                        user,
                                        config.getOptional(JobOptions.CASSANDRA_PASSWORD_FILE)
                                                .orElse(null)));
        config.getOptional(JobOptions.CASSANDRA_TRUSTSTORE)
                .ifPresent(
                        store ->
                                builder.truststore(
                                        store,
                                        config.getOptional(
                                                        JobOptions
                                                                .CASSANDRA_TRUSTSTORE_PASSWORD_FILE)
                                                .orElse(null)));
        return builder;
    }
}
