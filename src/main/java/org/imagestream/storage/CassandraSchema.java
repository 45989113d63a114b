package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Duration;
import java.util.List;

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
 * All statements are idempotent ({@code IF NOT EXISTS}).
 */
public final class CassandraSchema {
    private CassandraSchema() {}

    public static List<String> statements(CassandraSettings settings) {
        String ks = settings.keyspace();
        return List.of(
                "CREATE KEYSPACE IF NOT EXISTS "
                        + ks
                        + " WITH replication = "
                        + settings.replicationCql(),
                "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".results ("
                        + "image_id text PRIMARY KEY, domain text, source_id text, content_type text,"
                        + " content_sha256 text, shard text, model_name text, model_version text,"
                        + " top_label text, top_score float, labels list<text>, scores list<float>,"
                        + " deduplicated boolean,"
                        + " width int, height int, received_at timestamp, classified_at timestamp,"
                        + " extras map<text, text>)",
                "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".result_parts ("
                        + "image_id text, part int, top_label text, top_score float,"
                        + " labels list<text>, scores list<float>, extras map<text, text>,"
                        + " PRIMARY KEY (image_id, part))",
                "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".results_by_label ("
                        + "domain text, label text, day date, received_at timestamp, image_id text,"
                        + " source_id text, content_sha256 text, top_score float, model_version text,"
                        + " PRIMARY KEY ((domain, label, day), received_at, image_id))"
                        + " WITH CLUSTERING ORDER BY (received_at DESC, image_id ASC)",
                "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".blobs ("
                        + "sha256 text PRIMARY KEY, size bigint, chunk_size int, chunk_count int,"
                        + " content_type text)",
                "CREATE TABLE IF NOT EXISTS "
                        + ks
                        + ".blob_chunks ("
                        + "sha256 text, chunk_index int, data blob,"
                        + " PRIMARY KEY ((sha256, chunk_index)))");
    }

    /** Creates the keyspace and tables if missing and waits for schema agreement. */
    public static void create(CqlSession session, CassandraSettings settings) {
        for (String statement : statements(settings)) {
            session.execute(
                    com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(statement)
                            .setTimeout(Duration.ofSeconds(30)));
        }
        // Tables created before the extras column existed get it added (idempotent upgrade).
        boolean hasExtras =
                session.getMetadata()
                        .getKeyspace(settings.keyspace())
                        .flatMap(keyspace -> keyspace.getTable("results"))
                        .map(table -> table.getColumn("extras").isPresent())
                        .orElse(true);
        if (!hasExtras) {
            session.execute(
                    com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                                    "ALTER TABLE "
                                            + settings.keyspace()
                                            + ".results ADD extras map<text, text>")
                            .setTimeout(Duration.ofSeconds(30)));
        }
        session.checkSchemaAgreement();
    }
}
