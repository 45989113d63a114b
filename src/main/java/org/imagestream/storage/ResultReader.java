package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Reads results and blobs back: by image id, all rows (small keyspaces: tests, the demo), and a
 * blob reassembled from its chunks with its SHA-256 verified, so a damaged or incomplete blob is an
 * error rather than wrong bytes.
 */
public final class ResultReader {
    private final CqlSession session;
    private final String keyspace;
    private final PreparedStatement selectResult;
    private final PreparedStatement selectBlob;
    private final PreparedStatement selectChunk;
    private final PreparedStatement selectByLabel;
    private final PreparedStatement selectParts;

    public ResultReader(CqlSession session, String keyspace) {
        this.session = session;
        this.keyspace = keyspace;
        this.selectResult =
                session.prepare("SELECT * FROM " + keyspace + ".results WHERE image_id = ?");
        this.selectBlob =
                session.prepare(
                        "SELECT size, chunk_count, location FROM "
                                + keyspace
                                + ".blobs WHERE sha256 = ?");
        this.selectByLabel =
                session.prepare(
                        "SELECT received_at, image_id, source_id, content_sha256, top_score, model_version FROM "
                                + keyspace
                                + ".results_by_label WHERE domain = ? AND label = ? AND day = ?"
                                + " AND received_at >= ? AND received_at < ? LIMIT ?");
        this.selectParts =
                session.prepare(
                        "SELECT part, labels, scores, extras FROM "
                                + keyspace
                                + ".result_parts WHERE image_id = ?");
        this.selectChunk =
                session.prepare(
                        "SELECT data FROM "
                                + keyspace
                                + ".blob_chunks WHERE sha256 = ? AND chunk_index = ?");
    }

    /** One row of the (domain, label, day) query table. */
    public record Listing(
            String domain,
            String label,
            Instant receivedAt,
            String imageId,
            String sourceId,
            String contentSha256,
            float topScore,
            String modelVersion) {}

    /**
     * Results whose top label is {@code label}, received in {@code [from, to)}, newest first, at
     * most {@code limit}: reads one (domain, label, day) partition per UTC day, newest day first,
     * and stops as soon as it has enough.
     */
    public List<Listing> list(String domain, String label, Instant from, Instant to, int limit) {
        List<Listing> listings = new ArrayList<>();
        LocalDate first = LocalDate.ofInstant(from, ZoneOffset.UTC);
        for (LocalDate day = LocalDate.ofInstant(to.minusMillis(1), ZoneOffset.UTC);
                !day.isBefore(first) && listings.size() < limit;
                day = day.minusDays(1)) {
            for (Row row :
                    session.execute(
                            selectByLabel.bind(
                                    domain, label, day, from, to, limit - listings.size()))) {
                listings.add(
                        new Listing(
                                domain,
                                label,
                                row.getInstant("received_at"),
                                row.getString("image_id"),
                                row.getString("source_id"),
                                row.getString("content_sha256"),
                                row.getFloat("top_score"),
                                row.getString("model_version")));
            }
        }
        return listings;
    }

    public Optional<StoredResult> find(String imageId) {
        Row row = session.execute(selectResult.bind(imageId)).one();
        return Optional.ofNullable(row).map(ResultReader::toResult);
    }

    /** One part of an image classified in parts (a tile, a frame). */
    public record StoredPart(
            int part, List<String> labels, List<Float> scores, Map<String, String> extras) {}

    /** The parts of an image in order; empty for an image classified whole. */
    public List<StoredPart> parts(String imageId) {
        List<StoredPart> parts = new ArrayList<>();
        for (Row row : session.execute(selectParts.bind(imageId))) {
            parts.add(
                    new StoredPart(
                            row.getInt("part"),
                            row.getList("labels", String.class),
                            row.getList("scores", Float.class),
                            row.getMap("extras", String.class, String.class)));
        }
        return parts;
    }

    /** Every result row (a full scan: for tests, the demo and small keyspaces only). */
    public List<StoredResult> all() {
        List<StoredResult> results = new ArrayList<>();
        for (Row row : session.execute("SELECT * FROM " + keyspace + ".results")) {
            results.add(toResult(row));
        }
        return results;
    }

    /**
     * Reassembles a blob from its chunks, or reads it from the object store it was offloaded to
     * ({@link BlobOffload}, through Flink's file systems), and verifies its size and SHA-256.
     */
    public byte[] readBlob(String sha256) throws IOException {
        Row meta = session.execute(selectBlob.bind(sha256)).one();
        if (meta == null) {
            throw new IOException("no blob " + sha256 + " (metadata row missing)");
        }
        long size = meta.getLong("size");
        String location = meta.getString("location");
        if (location != null) {
            return BlobOffload.read(location, size, sha256);
        }
        int chunks = meta.getInt("chunk_count");
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
        for (int i = 0; i < chunks; i++) {
            Row chunk = session.execute(selectChunk.bind(sha256, i)).one();
            if (chunk == null) {
                throw new IOException(
                        "blob " + sha256 + " is missing chunk " + i + " of " + chunks);
            }
            ByteBuffer data = chunk.getByteBuffer("data");
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            out.writeBytes(bytes);
        }
        byte[] blob = out.toByteArray();
        if (blob.length != size || !DigestUtils.sha256Hex(blob).equals(sha256)) {
            throw new IOException(
                    "blob "
                            + sha256
                            + " failed verification ("
                            + blob.length
                            + " of "
                            + size
                            + " bytes)");
        }
        return blob;
    }

    private static StoredResult toResult(Row row) {
        return new StoredResult(
                row.getString("image_id"),
                row.getString("domain"),
                row.getString("source_id"),
                row.getString("content_type"),
                row.getString("content_sha256"),
                row.getString("shard"),
                row.getString("model_name"),
                row.getString("model_version"),
                row.getString("top_label"),
                row.getFloat("top_score"),
                row.getList("labels", String.class),
                row.getList("scores", Float.class),
                row.getBoolean("deduplicated"),
                row.getInt("width"),
                row.getInt("height"),
                row.getInstant("received_at"),
                row.getInstant("classified_at"),
                row.getMap("extras", String.class, String.class));
    }
}
