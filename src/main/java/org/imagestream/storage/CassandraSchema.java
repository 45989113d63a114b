package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.List;

/**
 * The Cassandra schema: a results table keyed by image id, and a content-addressed blob store (one
 * metadata row per SHA-256, chunks in their own partitions so no partition grows past one chunk
 * however large the image). All statements are idempotent ({@code IF NOT EXISTS}).
 */
public final class CassandraSchema {
    private CassandraSchema() {}

    public static List<String> statements(String keyspace, int replicationFactor) {
        return List.of(
                "CREATE KEYSPACE IF NOT EXISTS "
                        + keyspace
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
                        + replicationFactor
                        + "}",
                "CREATE TABLE IF NOT EXISTS "
                        + keyspace
                        + ".results ("
                        + "image_id text PRIMARY KEY, domain text, source_id text, content_type text,"
                        + " content_sha256 text, shard text, model_name text, model_version text,"
                        + " top_label text, top_score float, labels list<text>, scores list<float>,"
                        + " deduplicated boolean,"
                        + " width int, height int, received_at timestamp, classified_at timestamp)",
                "CREATE TABLE IF NOT EXISTS "
                        + keyspace
                        + ".blobs ("
                        + "sha256 text PRIMARY KEY, size bigint, chunk_size int, chunk_count int,"
                        + " content_type text)",
                "CREATE TABLE IF NOT EXISTS "
                        + keyspace
                        + ".blob_chunks ("
                        + "sha256 text, chunk_index int, data blob,"
                        + " PRIMARY KEY ((sha256, chunk_index)))");
    }

    /** Creates the keyspace and tables if missing. */
    public static void create(CqlSession session, String keyspace, int replicationFactor) {
        for (String statement : statements(keyspace, replicationFactor)) {
            session.execute(statement);
        }
    }
}
