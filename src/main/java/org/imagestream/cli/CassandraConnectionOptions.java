package org.imagestream.cli;

import java.util.List;
import org.imagestream.storage.CassandraSettings;
import picocli.CommandLine.Option;

/** Cassandra connection flags shared by {@code schema} and {@code query}. */
final class CassandraConnectionOptions {
    @Option(
            names = "--contact-points",
            split = ",",
            defaultValue = "127.0.0.1:9042",
            description = "host:port,... (default: ${DEFAULT-VALUE}).")
    List<String> contactPoints;

    @Option(
            names = "--datacenter",
            defaultValue = "datacenter1",
            description = "Local datacenter (default: ${DEFAULT-VALUE}).")
    String datacenter;

    @Option(
            names = "--keyspace",
            defaultValue = "imagestream",
            description = "Keyspace (default: ${DEFAULT-VALUE}).")
    String keyspace;

    @Option(
            names = "--consistency",
            defaultValue = "LOCAL_QUORUM",
            description = "Consistency level (default: ${DEFAULT-VALUE}).")
    String consistency;

    @Option(
            names = "--driver-config",
            description = "A driver application.conf for any other setting.")
    String driverConfigFile;

    @Option(names = "--username", description = "User for PasswordAuthenticator.")
    String username;

    @Option(names = "--password-file", description = "File holding the password.")
    String passwordFile;

    @Option(names = "--truststore", description = "Trust store enabling client TLS.")
    String truststore;

    @Option(
            names = "--truststore-password-file",
            description = "File holding the trust store password.")
    String truststorePasswordFile;

    CassandraSettings.Builder settings() {
        CassandraSettings.Builder builder =
                CassandraSettings.builder()
                        .contactPoints(contactPoints)
                        .localDatacenter(datacenter)
                        .keyspace(keyspace)
                        .consistency(consistency);
        if (driverConfigFile != null) {
            builder.driverConfigFile(driverConfigFile);
        }
        if (username != null) {
            builder.credentials(username, passwordFile);
        }
        if (truststore != null) {
            builder.truststore(truststore, truststorePasswordFile);
        }
        return builder;
    }
}
