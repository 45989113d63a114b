package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imagestream.model.Domain;

/**
 * The Cassandra schema:
 *
 * <ul>
 *   <li>{@code results}: one row per image id, everything known about the image and its result.
 *   <li>{@code result_parts}: for an image classified in parts (the tiles of a scene, the frames of
 *       a DICOM file), one row per part in the image's partition, with the part's labels, scores
 *       and extras (tile window and bounds, frame number). Written before the image's {@code
 *       results} row, so a result row means all its parts are stored.
 *   <li>{@code results_by_label}: the query table for listings and dashboards, partitioned by
 *       (domain, label, UTC day of the Kafka timestamp), newest first. Its key uses only values
 *       that are the same on replay, so a replay rewrites rows instead of adding them.
 *   <li>{@code blobs} + {@code blob_chunks}: a content-addressed blob store. Chunks live in their
 *       own partitions ({@code (sha256, chunk_index)}), so no partition grows past one chunk
 *       however large the image; the {@code blobs} row is written after all chunks.
 * </ul>
 *
 * All statements are idempotent ({@code IF NOT EXISTS}). Because {@code IF NOT EXISTS} silently
 * keeps a table of the same name made by someone else, {@link #verify} checks every column the
 * writer binds against the live schema before anything is written: an incompatible table would
 * otherwise be refused by Cassandra on every write and every replay.
 */
public final class CassandraSchema {
    /** Every table: its columns in order with their CQL types, and its key clause. */
    private static final List<Table> TABLES =
            List.of(
                    new Table(
                            "results",
                            columns(
                                    "image_id", "text",
                                    "domain", "text",
                                    "source_id", "text",
                                    "content_type", "text",
                                    "content_sha256", "text",
                                    "shard", "text",
                                    "model_name", "text",
                                    "model_version", "text",
                                    "top_label", "text",
                                    "top_score", "float",
                                    "labels", "list<text>",
                                    "scores", "list<float>",
                                    "deduplicated", "boolean",
                                    "width", "int",
                                    "height", "int",
                                    "received_at", "timestamp",
                                    "classified_at", "timestamp",
                                    "extras", "map<text, text>"),
                            List.of("image_id"),
                            List.of(),
                            ""),
                    new Table(
                            "result_parts",
                            columns(
                                    "image_id", "text",
                                    "part", "int",
                                    "top_label", "text",
                                    "top_score", "float",
                                    "labels", "list<text>",
                                    "scores", "list<float>",
                                    "extras", "map<text, text>"),
                            List.of("image_id"),
                            List.of("part"),
                            ""),
                    new Table(
                            "results_by_label",
                            columns(
                                    "domain", "text",
                                    "label", "text",
                                    "day", "date",
                                    "received_at", "timestamp",
                                    "image_id", "text",
                                    "source_id", "text",
                                    "content_sha256", "text",
                                    "top_score", "float",
                                    "model_version", "text"),
                            List.of("domain", "label", "day"),
                            List.of("received_at", "image_id"),
                            " WITH CLUSTERING ORDER BY (received_at DESC, image_id ASC)"),
                    new Table(
                            "blobs",
                            columns(
                                    "sha256", "text",
                                    "size", "bigint",
                                    "chunk_size", "int",
                                    "chunk_count", "int",
                                    "content_type", "text",
                                    "location", "text"),
                            List.of("sha256"),
                            List.of(),
                            ""),
                    new Table(
                            "blob_chunks",
                            columns("sha256", "text", "chunk_index", "int", "data", "blob"),
                            List.of("sha256", "chunk_index"),
                            List.of(),
                            ""));

    /** Columns added after the first release: table, column, type (see {@link #create}). */
    private static final List<String[]> ADDED_COLUMNS =
            List.of(
                    new String[] {"results", "extras", "map<text, text>"},
                    new String[] {"blobs", "location", "text"});

    private CassandraSchema() {}

    /** Table option: SSTable chunks written without compression. */
    private static final String UNCOMPRESSED = "compression = {'enabled': 'false'}";

    /**
     * Table options beyond the columns and keys, chosen by measurement (StorageBenchmark {@code
     * --table-options}, docs/benchmarks.md). The other variants stay for that comparison.
     */
    public enum TableOptions {
        /** Cassandra 5.0's defaults: LZ4 in 16 KiB chunks, size-tiered compaction. */
        CASSANDRA_DEFAULTS("", ""),
        /**
         * Blob chunks stored without compression: most images are already compressed (JPEG, PNG,
         * WebP, compressed DICOM and TIFF), so LZ4 costs CPU at every flush and compaction for
         * little space.
         */
        BLOB_CHUNKS_UNCOMPRESSED(UNCOMPRESSED, ""),
        /** As above, and every table compacted by Cassandra 5's unified compaction strategy. */
        BLOB_CHUNKS_UNCOMPRESSED_UCS(
                UNCOMPRESSED, "compaction = {'class': 'UnifiedCompactionStrategy'}"),
        /**
         * Blob chunks uncompressed and compacted by UCS with a higher fan-out (T8: eight sstables
         * of a size merged at once, where size-tiered merges four), so a blob is rewritten fewer
         * times before it settles. Chosen in session 20, together with the local node's off-heap
         * memtables (docs/benchmarks.md).
         */
        BLOB_CHUNKS_UNCOMPRESSED_UCS_T8(uncompressedUcs("T8"), ""),
        /**
         * As {@link #BLOB_CHUNKS_UNCOMPRESSED_UCS_T8} with fan-out 16: a write-once chunk goes
         * through fewer merges as the table grows (one per level; log base 16 of the table's size
         * in flushes, against log base 8), at the price of up to twice as many sstables of a size
         * for a read to consult.
         */
        BLOB_CHUNKS_UNCOMPRESSED_UCS_T16(uncompressedUcs("T16"), ""),
        /** As {@link #BLOB_CHUNKS_UNCOMPRESSED_UCS_T16} with fan-out 32. */
        BLOB_CHUNKS_UNCOMPRESSED_UCS_T32(uncompressedUcs("T32"), ""),
        /**
         * Blob chunks uncompressed, every table in Cassandra 5's trie memtable (the {@code trie}
         * configuration of the stock cassandra.yaml).
         */
        BLOB_CHUNKS_UNCOMPRESSED_TRIE(UNCOMPRESSED, "memtable = 'trie'");

        private final String blobChunks;
        private final String everyTable;

        /**
         * Blob chunks uncompressed and compacted by UCS with these scaling parameters. A method of
         * the enum, not of the outer class: calling the outer class's from a constant's arguments
         * would initialise it mid-way through this enum, and {@link #CHOSEN_OPTIONS} would read
         * null.
         */
        private static String uncompressedUcs(String scalingParameters) {
            return UNCOMPRESSED
                    + " AND compaction = {'class': 'UnifiedCompactionStrategy',"
                    + " 'scaling_parameters': '"
                    + scalingParameters
                    + "'}";
        }

        TableOptions(String blobChunks, String everyTable) {
            this.blobChunks = blobChunks;
            this.everyTable = everyTable;
        }

        /** Options for {@code table}, joined with AND; empty for Cassandra's defaults. */
        String of(String table) {
            List<String> options = new ArrayList<>();
            if (table.equals("blob_chunks") && !blobChunks.isEmpty()) {
                options.add(blobChunks);
            }
            if (!everyTable.isEmpty()) {
                options.add(everyTable);
            }
            return String.join(" AND ", options);
        }
    }

    /** The options every table is created with (see {@link TableOptions}). */
    public static final TableOptions CHOSEN_OPTIONS = TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T8;

    /** A table the writer needs. */
    private record Table(
            String name,
            Map<String, String> columns,
            List<String> partitionKey,
            List<String> clusteringColumns,
            String options) {
        String createStatement(String keyspace, TableOptions tableOptions) {
            StringBuilder cql =
                    new StringBuilder("CREATE TABLE IF NOT EXISTS ")
                            .append(keyspace)
                            .append('.')
                            .append(name)
                            .append(" (");
            columns.forEach(
                    (column, type) -> cql.append(column).append(' ').append(type).append(", "));
            cql.append("PRIMARY KEY ((").append(String.join(", ", partitionKey)).append(')');
            for (String clustering : clusteringColumns) {
                cql.append(", ").append(clustering);
            }
            cql.append("))").append(options);
            String extra = tableOptions.of(name);
            if (!extra.isEmpty()) {
                cql.append(options.isEmpty() ? " WITH " : " AND ").append(extra);
            }
            return cql.toString();
        }
    }

    private static Map<String, String> columns(String... namesAndTypes) {
        Map<String, String> columns = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTypes.length; i += 2) {
            columns.put(namesAndTypes[i], namesAndTypes[i + 1]);
        }
        return columns;
    }

    /** The CQL that creates every keyspace this configuration writes to, and its tables. */
    public static List<String> statements(CassandraSettings settings) {
        return statements(settings, settings.domains());
    }

    /** The CQL that creates the keyspaces holding these domains' tables, and their tables. */
    public static List<String> statements(CassandraSettings settings, Collection<Domain> domains) {
        return statements(settings, domains, CHOSEN_OPTIONS);
    }

    /** As above, with the tables' options given (for the benchmark that chooses them). */
    public static List<String> statements(
            CassandraSettings settings, Collection<Domain> domains, TableOptions options) {
        List<String> statements = new ArrayList<>();
        for (String ks : settings.keyspaces(domains)) {
            statements.add(
                    "CREATE KEYSPACE IF NOT EXISTS "
                            + ks
                            + " WITH replication = "
                            + settings.replicationCql());
            for (Table table : TABLES) {
                statements.add(table.createStatement(ks, options));
            }
        }
        return statements;
    }

    /** {@link #create(CqlSession, CassandraSettings, Collection)} for the settings' domains. */
    public static void create(CqlSession session, CassandraSettings settings) {
        create(session, settings, settings.domains());
    }

    /**
     * Creates the keyspaces holding these domains' tables and the tables if missing, waits for
     * schema agreement, then verifies them. Only these domains' keyspaces are touched, so a job
     * classifying one domain needs permissions on that domain's keyspace only.
     */
    public static void create(
            CqlSession session, CassandraSettings settings, Collection<Domain> domains) {
        create(session, settings, domains, CHOSEN_OPTIONS);
    }

    /** As above, with the tables' options given (for the benchmark that chooses them). */
    public static void create(
            CqlSession session,
            CassandraSettings settings,
            Collection<Domain> domains,
            TableOptions options) {
        // The driver refreshes its schema metadata after every DDL statement, and holds each
        // refresh for its debouncer window (1 s) first: 6 statements a keyspace cost 6-7 s of
        // every job start and schema command. With metadata off while they run, each statement
        // returns once applied; agreement is still awaited after each one (the next statement
        // may reach another coordinator), and one forced refresh below reads the result.
        boolean metadataWasEnabled = session.isSchemaMetadataEnabled();
        session.setSchemaMetadataEnabled(false);
        try {
            for (String statement : statements(settings, domains, options)) {
                session.execute(
                        SimpleStatement.newInstance(statement).setTimeout(Duration.ofSeconds(30)));
                session.checkSchemaAgreement();
            }
        } finally {
            session.setSchemaMetadataEnabled(metadataWasEnabled);
        }
        session.refreshSchema();
        for (String ks : settings.keyspaces(domains)) {
            // Tables created before a column existed get it added (idempotent upgrade).
            for (String[] added : ADDED_COLUMNS) {
                String table = added[0];
                String column = added[1];
                boolean present =
                        session.getMetadata()
                                .getKeyspace(ks)
                                .flatMap(keyspace -> keyspace.getTable(table))
                                .map(live -> live.getColumn(column).isPresent())
                                .orElse(true);
                if (!present) {
                    session.execute(
                            SimpleStatement.newInstance(
                                            "ALTER TABLE "
                                                    + ks
                                                    + "."
                                                    + table
                                                    + " ADD "
                                                    + column
                                                    + " "
                                                    + added[2])
                                    .setTimeout(Duration.ofSeconds(30)));
                }
            }
        }
        session.checkSchemaAgreement();
        verify(session, settings, domains);
    }

    /** {@link #verify(CqlSession, String)} for each keyspace holding these domains' tables. */
    public static void verify(
            CqlSession session, CassandraSettings settings, Collection<Domain> domains) {
        for (String ks : settings.keyspaces(domains)) {
            verify(session, ks);
        }
    }

    /**
     * Checks that every table and column the writer uses exists with the type and key role it
     * needs; throws {@link IllegalStateException} naming the table and column otherwise. Extra
     * columns are allowed (a site may add its own).
     */
    public static void verify(CqlSession session, String keyspace) {
        KeyspaceMetadata metadata =
                session.getMetadata()
                        .getKeyspace(keyspace)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "Cassandra keyspace "
                                                        + keyspace
                                                        + " does not exist: create it with"
                                                        + " 'imagestream schema' or"
                                                        + " cassandra.create-schema=true"));
        List<String> problems = new ArrayList<>();
        for (Table table : TABLES) {
            String qualified = keyspace + "." + table.name();
            TableMetadata live = metadata.getTable(table.name()).orElse(null);
            if (live == null) {
                problems.add("table " + qualified + " is missing");
                continue;
            }
            table.columns()
                    .forEach(
                            (column, type) -> {
                                ColumnMetadata actual =
                                        live.getColumn(CqlIdentifier.fromInternal(column))
                                                .orElse(null);
                                if (actual == null) {
                                    problems.add(
                                            "column " + qualified + "." + column + " is missing");
                                } else if (!normalized(actual.getType().asCql(false, true))
                                        .equals(normalized(type))) {
                                    problems.add(
                                            "column "
                                                    + qualified
                                                    + "."
                                                    + column
                                                    + " is "
                                                    + actual.getType().asCql(false, true)
                                                    + ", the writer needs "
                                                    + type);
                                }
                            });
            List<String> partitionKey =
                    live.getPartitionKey().stream()
                            .map(column -> column.getName().asInternal())
                            .toList();
            List<String> clustering =
                    live.getClusteringColumns().keySet().stream()
                            .map(column -> column.getName().asInternal())
                            .toList();
            if (!partitionKey.equals(table.partitionKey())
                    || !clustering.equals(table.clusteringColumns())) {
                problems.add(
                        "table "
                                + qualified
                                + " has partition key "
                                + partitionKey
                                + " and clustering columns "
                                + clustering
                                + ", the writer needs "
                                + table.partitionKey()
                                + " and "
                                + table.clusteringColumns());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(
                    "The Cassandra schema in keyspace "
                            + keyspace
                            + " is not the one imagestream writes: "
                            + String.join("; ", problems)
                            + ". Every write would be refused. Drop or rename those tables (CREATE"
                            + " TABLE IF NOT EXISTS keeps an existing table as it is), or use another"
                            + " keyspace (cassandra.keyspace).");
        }
    }

    /** A CQL type as text, without the spaces the driver and people put differently. */
    private static String normalized(String cqlType) {
        return cqlType.replace(" ", "").toLowerCase(java.util.Locale.ROOT);
    }
}
