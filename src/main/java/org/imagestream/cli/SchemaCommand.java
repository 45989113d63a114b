package org.imagestream.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.concurrent.Callable;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code schema}: creates the keyspace and tables (idempotent), or prints the CQL. */
@Command(
        name = "schema",
        mixinStandardHelpOptions = true,
        description = "Create the imagestream keyspace and tables in Cassandra (idempotent).")
final class SchemaCommand implements Callable<Integer> {
    @Mixin CassandraConnectionOptions connection;

    @Option(
            names = "--replication-strategy",
            defaultValue = "SimpleStrategy",
            description = "SimpleStrategy or NetworkTopologyStrategy (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(
            names = "--replication-factor",
            defaultValue = "1",
            description =
                    "Replicas (in the local DC for NetworkTopologyStrategy; default: ${DEFAULT-VALUE}).")
    int factor;

    @Option(names = "--print", description = "Print the CQL instead of executing it.")
    boolean print;

    @Override
    public Integer call() {
        CassandraSettings settings =
                connection
                        .settings()
                        .replicationStrategy(strategy)
                        .replicationFactor(factor)
                        .build();
        if (print) {
            CassandraSchema.statements(settings)
                    .forEach(statement -> System.out.println(statement + ";"));
            return 0;
        }
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
        }
        System.out.println(
                "Schema ready in keyspace "
                        + settings.keyspace()
                        + " (replication "
                        + settings.replicationCql()
                        + ")");
        return 0;
    }
}
