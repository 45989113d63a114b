package org.imagestream.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.imagestream.config.CassandraConfig;
import org.imagestream.config.JobOptions;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code schema}: creates the keyspace(s) and tables (idempotent), or prints the CQL. */
@Command(
        name = "schema",
        mixinStandardHelpOptions = true,
        description = "Create the imagestream keyspace(s) and tables in Cassandra (idempotent).")
final class SchemaCommand implements Callable<Integer> {
    @Mixin CassandraConnectionOptions connection;

    @Option(
            names = "--replication-strategy",
            description =
                    "SimpleStrategy or NetworkTopologyStrategy (cassandra.replication-strategy).")
    String strategy;

    @Option(
            names = "--replication-factor",
            description =
                    "Replicas, in the local DC for NetworkTopologyStrategy"
                            + " (cassandra.replication-factor).")
    Integer factor;

    @Option(
            names = "--domains",
            split = ",",
            description =
                    "Create only these domains' keyspaces with --keyspace-per-domain"
                            + " (default: all of social, remote-sensing, medical).")
    List<String> domains;

    @Option(names = "--print", description = "Print the CQL instead of executing it.")
    boolean print;

    @Override
    public Integer call() {
        Map<String, String> values = connection.values();
        if (strategy != null) {
            values.put(JobOptions.CASSANDRA_REPLICATION_STRATEGY.key(), strategy);
        }
        if (factor != null) {
            values.put(JobOptions.CASSANDRA_REPLICATION_FACTOR.key(), factor.toString());
        }
        List<Domain> selected =
                domains == null
                        ? List.of(Domain.values())
                        : domains.stream().map(Domain::fromId).toList();
        CassandraSettings settings =
                CassandraConfig.settings(CassandraConfig.parse(values), selected);
        if (print) {
            CassandraSchema.statements(settings)
                    .forEach(statement -> System.out.println(statement + ";"));
            return 0;
        }
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
        }
        System.out.println(
                "Schema ready in keyspace(s) "
                        + String.join(", ", settings.keyspaces())
                        + " (replication "
                        + settings.replicationCql()
                        + ")");
        return 0;
    }
}
