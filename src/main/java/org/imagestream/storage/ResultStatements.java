package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.imagestream.model.Classification;
import org.imagestream.model.PartResult;

/**
 * The prepared upserts that store one classification, and how a {@link Classification} binds to
 * them: blob chunks, blob metadata, part rows, the result row and its query-table row. One
 * definition for the sink writer and for the storage benchmark's raw-driver peer, so both write the
 * same rows.
 */
public final class ResultStatements {
    private final PreparedStatement insertChunk;
    private final PreparedStatement insertBlob;
    private final PreparedStatement insertResult;
    private final PreparedStatement insertByLabel;
    private final PreparedStatement insertPart;
    private final PreparedStatement selectListingKey;
    private final PreparedStatement deleteListing;
    private final PreparedStatement selectBlob;

    public ResultStatements(CqlSession session, String keyspace) {
        this.insertChunk =
                session.prepare(
                        "INSERT INTO "
                                + keyspace
                                + ".blob_chunks (sha256, chunk_index, data) VALUES (?, ?, ?)"
                                + " USING TTL ?");
        this.insertBlob =
                session.prepare(
                        "INSERT INTO "
                                + keyspace
                                + ".blobs (sha256, size, chunk_size, chunk_count, content_type,"
                                + " location) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?");
        this.insertResult =
                session.prepare(
                        "INSERT INTO "
                                + keyspace
                                + ".results (image_id, domain, source_id, content_type,"
                                + " content_sha256, shard, model_name, model_version, top_label,"
                                + " top_score, labels, scores, deduplicated, width, height,"
                                + " received_at, classified_at, extras)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                + " USING TTL ?");
        this.insertByLabel =
                session.prepare(
                        "INSERT INTO "
                                + keyspace
                                + ".results_by_label (domain, label, day, received_at, image_id,"
                                + " source_id, content_sha256, top_score, model_version)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        this.insertPart =
                session.prepare(
                        "INSERT INTO "
                                + keyspace
                                + ".result_parts (image_id, part, top_label, top_score, labels,"
                                + " scores, extras) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ?");
        this.selectListingKey =
                session.prepare(
                        "SELECT top_label, received_at FROM "
                                + keyspace
                                + ".results WHERE image_id = ?");
        this.selectBlob =
                session.prepare("SELECT sha256 FROM " + keyspace + ".blobs WHERE sha256 = ?");
        this.deleteListing =
                session.prepare(
                        "DELETE FROM "
                                + keyspace
                                + ".results_by_label WHERE domain = ? AND label = ? AND day = ?"
                                + " AND received_at = ? AND image_id = ?");
    }

    /** The stored top label and Kafka timestamp of an image: the key of its listing row. */
    public BoundStatement storedListingKey(String imageId) {
        return selectListingKey.bind(imageId);
    }

    /** A blob's metadata row, there once all its chunks (or its offloaded object) are stored. */
    public BoundStatement storedBlob(String sha256) {
        return selectBlob.bind(sha256);
    }

    /** Removes an image's listing row under a label it no longer has. */
    public BoundStatement deleteListing(
            String domain, String label, Instant receivedAt, String imageId) {
        return deleteListing.bind(
                domain,
                label,
                LocalDate.ofInstant(receivedAt, ZoneOffset.UTC),
                receivedAt,
                imageId);
    }

    public BoundStatement part(Classification r, PartResult part, int ttl) {
        return insertPart.bind(
                r.imageId,
                part.index,
                part.labels.isEmpty() ? null : part.labels.get(0),
                part.scores.isEmpty() ? null : part.scores.get(0),
                part.labels,
                part.scores,
                part.extras == null ? Map.of() : part.extras,
                ttl);
    }

    public BoundStatement chunk(String sha256, int index, ByteBuffer data, int ttl) {
        return insertChunk.bind(sha256, index, data, ttl);
    }

    /**
     * @param location where an offloaded blob lives ({@link BlobOffload}, no chunks), or null for a
     *     blob in {@code blob_chunks}
     */
    public BoundStatement blob(
            String sha256,
            long size,
            int chunkSize,
            int chunkCount,
            String contentType,
            String location,
            int ttl) {
        return insertBlob.bind(sha256, size, chunkSize, chunkCount, contentType, location, ttl);
    }

    public BoundStatement result(Classification r, int ttl) {
        return insertResult.bind(
                r.imageId,
                r.domain,
                r.sourceId,
                r.contentType,
                r.contentSha256,
                r.shard,
                r.modelName,
                r.modelVersion,
                r.topLabel(),
                r.topScore(),
                r.labels,
                r.scores,
                r.deduplicated,
                r.width,
                r.height,
                Instant.ofEpochMilli(r.receivedAtMillis),
                Instant.ofEpochMilli(r.classifiedAtMillis),
                r.extras == null ? Map.of() : r.extras,
                ttl);
    }

    public BoundStatement byLabel(Classification r, int ttl) {
        Instant received = Instant.ofEpochMilli(r.receivedAtMillis);
        return insertByLabel.bind(
                r.domain,
                r.topLabel(),
                LocalDate.ofInstant(received, ZoneOffset.UTC),
                received,
                r.imageId,
                r.sourceId,
                r.contentSha256,
                r.topScore(),
                r.modelVersion,
                ttl);
    }
}
