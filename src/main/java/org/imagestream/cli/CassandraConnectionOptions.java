package org.imagestream.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.imagestream.config.CassandraConfig;
import org.imagestream.config.JobOptions;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import picocli.CommandLine.Option;

/**
 * Cassandra flags shared by {@code schema}, {@code query} and {@code erase}. Each flag is only a
 * shorter spelling of a job option ({@link JobOptions}), parsed by the same code as the job's
 * ({@link CassandraConfig}), with the job's default and syntax; {@code --cassandra KEY=VALUE} sets
 * any other {@code cassandra.*} option, so the CLI reaches exactly what the job wrote.
 */
final class CassandraConnectionOptions {
    @Option(
            names = "--contact-points",
            description = "host:port;... (cassandra.contact-points, default 127.0.0.1:9042).")
    String contactPoints;

    @Option(
            names = "--datacenter",
            description = "Local datacenter (cassandra.local-datacenter, default datacenter1).")
    String datacenter;

    @Option(
            names = "--keyspace",
            description = "Keyspace, or prefix of per-domain keyspaces (cassandra.keyspace).")
    String keyspace;

    @Option(
            names = "--keyspace-per-domain",
            description = "Each domain in its own keyspace (cassandra.keyspace-per-domain).")
    Boolean keyspacePerDomain;

    @Option(
            names = "--consistency",
            description = "Consistency level (cassandra.consistency, default LOCAL_QUORUM).")
    String consistency;

    @Option(
            names = "--driver-config",
            description = "A driver application.conf (cassandra.driver-config-file).")
    String driverConfigFile;

    @Option(names = "--username", description = "User (cassandra.username).")
    String username;

    @Option(
            names = "--password-file",
            description = "File holding the password (cassandra.password-file).")
    String passwordFile;

    @Option(
            names = "--truststore",
            description = "Trust store enabling client TLS (cassandra.ssl.truststore).")
    String truststore;

    @Option(
            names = "--truststore-password-file",
            description = "Trust store password file (cassandra.ssl.truststore-password-file).")
    String truststorePasswordFile;

    @Option(
            names = "--cassandra",
            paramLabel = "KEY=VALUE",
            description = "Any cassandra.* job option, e.g. --cassandra cassandra.keyspace=x.")
    Map<String, String> options = new LinkedHashMap<>();

    /** The options as the job would read them: explicit flags win over {@code --cassandra}. */
    Map<String, String> values() {
        Map<String, String> values = new LinkedHashMap<>(options);
        put(values, JobOptions.CASSANDRA_CONTACT_POINTS, contactPoints);
        put(values, JobOptions.CASSANDRA_LOCAL_DATACENTER, datacenter);
        put(values, JobOptions.CASSANDRA_KEYSPACE, keyspace);
        put(
                values,
                JobOptions.CASSANDRA_KEYSPACE_PER_DOMAIN,
                keyspacePerDomain == null ? null : keyspacePerDomain.toString());
        put(values, JobOptions.CASSANDRA_CONSISTENCY, consistency);
        put(values, JobOptions.CASSANDRA_DRIVER_CONFIG_FILE, driverConfigFile);
        put(values, JobOptions.CASSANDRA_USERNAME, username);
        put(values, JobOptions.CASSANDRA_PASSWORD_FILE, passwordFile);
        put(values, JobOptions.CASSANDRA_TRUSTSTORE, truststore);
        put(values, JobOptions.CASSANDRA_TRUSTSTORE_PASSWORD_FILE, truststorePasswordFile);
        return values;
    }

    private static void put(Map<String, String> values, ConfigOption<?> option, String value) {
        if (value != null) {
            values.put(option.key(), value);
        }
    }

    /** A settings builder for every domain; commands may narrow the domains. */
    CassandraSettings.Builder settings() {
        return CassandraConfig.builder(CassandraConfig.parse(values()))
                .domains(List.of(Domain.values()));
    }
}
