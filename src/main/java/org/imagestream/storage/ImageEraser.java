package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imagestream.model.Domain;

/**
 * Erases a set of images from one keyspace: their result rows, parts, every listing row that names
 * them (also listings left under an earlier top label), and each blob (metadata and chunks) that no
 * remaining result row references, so a deduplicated copy that is kept still reads back whole.
 *
 * <p>Which rows reference a blob is not indexed (an index would cost every write), so an erasure
 * reads every {@code results} row of the keyspace once, and every {@code results_by_label} row
 * once: a maintenance operation, paged by the driver, not a query for the hot path. Deletes run
 * dependents first and the result row last, so an erasure cut short finds the image again when it
 * is run once more (every delete is idempotent).
 */
public final class ImageEraser {
    /** Rows read per page while scanning. */
    private static final int PAGE_SIZE = 500;

    /**
     * A blob without its metadata row (cut short while written) is probed up to this many chunks.
     */
    private static final int MAX_PROBED_CHUNKS = 1 << 16;

    private final CqlSession session;
    private final String keyspace;

    public ImageEraser(CqlSession session, String keyspace) {
        this.session = session;
        this.keyspace = keyspace;
    }

    /**
     * Which images to erase: any image matching one of the criteria. Source ids are compared with
     * what is stored (for medical images, the keyed pseudonym). A time range applies to one domain
     * and to the Kafka timestamp ({@code received_at}), {@code [from, to)}.
     */
    public record Selection(
            Set<String> imageIds, Set<String> sourceIds, Domain domain, Instant from, Instant to) {
        public Selection {
            imageIds = Set.copyOf(imageIds);
            sourceIds = Set.copyOf(sourceIds);
            if ((from == null) != (to == null) || (from != null && domain == null)) {
                throw new IllegalArgumentException(
                        "a time range needs a domain, a start and an end");
            }
            if (from != null && !from.isBefore(to)) {
                throw new IllegalArgumentException(
                        "the time range is empty: " + from + " >= " + to);
            }
            if (imageIds.isEmpty() && sourceIds.isEmpty() && from == null) {
                throw new IllegalArgumentException(
                        "select images by image id, source id, or domain and time range");
            }
        }

        boolean matches(String imageId, String domainId, String sourceId, Instant receivedAt) {
            return imageIds.contains(imageId)
                    || (sourceId != null && sourceIds.contains(sourceId))
                    || (from != null
                            && domain.id().equals(domainId)
                            && receivedAt != null
                            && !receivedAt.isBefore(from)
                            && receivedAt.isBefore(to));
        }
    }

    /** What an erasure removed (or, for a dry run, would remove). */
    public record Report(
            List<String> imageIds, int listings, int blobsDeleted, int blobsKeptForOtherRows) {}

    /** The stored facts of one image the erasure needs. */
    private record Image(String id, String domain, String sha256) {}

    /** Erases the selected images; with {@code dryRun} only reports what it would erase. */
    public Report erase(Selection selection, boolean dryRun) {
        Map<String, Image> erased = new LinkedHashMap<>();
        Set<String> blobsStillReferenced = new HashSet<>();
        for (Row row :
                session.execute(
                        SimpleStatement.newInstance(
                                        "SELECT image_id, domain, source_id, content_sha256,"
                                                + " received_at FROM "
                                                + keyspace
                                                + ".results")
                                .setPageSize(PAGE_SIZE))) {
            String imageId = row.getString("image_id");
            String sha256 = row.getString("content_sha256");
            if (selection.matches(
                    imageId,
                    row.getString("domain"),
                    row.getString("source_id"),
                    row.getInstant("received_at"))) {
                erased.put(imageId, new Image(imageId, row.getString("domain"), sha256));
            } else if (sha256 != null) {
                blobsStillReferenced.add(sha256);
            }
        }
        List<ListingKey> listings = listingsOf(erased.keySet());
        Set<String> blobs = new HashSet<>();
        Set<String> keptBlobs = new HashSet<>();
        for (Image image : erased.values()) {
            if (image.sha256() != null) {
                (blobsStillReferenced.contains(image.sha256()) ? keptBlobs : blobs)
                        .add(image.sha256());
            }
        }
        if (!dryRun) {
            delete(erased.values(), listings, blobs);
        }
        return new Report(
                List.copyOf(erased.keySet()), listings.size(), blobs.size(), keptBlobs.size());
    }

    /** The primary key of one {@code results_by_label} row. */
    private record ListingKey(
            String domain, String label, LocalDate day, Instant receivedAt, String imageId) {}

    /** Every listing row naming one of these images, whatever label or day it is under. */
    private List<ListingKey> listingsOf(Set<String> imageIds) {
        List<ListingKey> listings = new ArrayList<>();
        if (imageIds.isEmpty()) {
            return listings;
        }
        for (Row row :
                session.execute(
                        SimpleStatement.newInstance(
                                        "SELECT domain, label, day, received_at, image_id FROM "
                                                + keyspace
                                                + ".results_by_label")
                                .setPageSize(PAGE_SIZE))) {
            if (imageIds.contains(row.getString("image_id"))) {
                listings.add(
                        new ListingKey(
                                row.getString("domain"),
                                row.getString("label"),
                                row.getLocalDate("day"),
                                row.getInstant("received_at"),
                                row.getString("image_id")));
            }
        }
        return listings;
    }

    private void delete(
            java.util.Collection<Image> images, List<ListingKey> listings, Set<String> blobs) {
        PreparedStatement deleteListing =
                session.prepare(
                        "DELETE FROM "
                                + keyspace
                                + ".results_by_label WHERE domain = ? AND label = ? AND day = ?"
                                + " AND received_at = ? AND image_id = ?");
        PreparedStatement deleteParts =
                session.prepare("DELETE FROM " + keyspace + ".result_parts WHERE image_id = ?");
        PreparedStatement deleteResult =
                session.prepare("DELETE FROM " + keyspace + ".results WHERE image_id = ?");
        PreparedStatement selectBlob =
                session.prepare(
                        "SELECT chunk_count, location FROM "
                                + keyspace
                                + ".blobs WHERE sha256 = ?");
        PreparedStatement selectChunk =
                session.prepare(
                        "SELECT chunk_index FROM "
                                + keyspace
                                + ".blob_chunks WHERE sha256 = ? AND chunk_index = ?");
        PreparedStatement deleteChunk =
                session.prepare(
                        "DELETE FROM "
                                + keyspace
                                + ".blob_chunks WHERE sha256 = ? AND chunk_index = ?");
        PreparedStatement deleteBlob =
                session.prepare("DELETE FROM " + keyspace + ".blobs WHERE sha256 = ?");
        for (ListingKey listing : listings) {
            session.execute(
                    deleteListing.bind(
                            listing.domain(),
                            listing.label(),
                            listing.day(),
                            listing.receivedAt(),
                            listing.imageId()));
        }
        for (Image image : images) {
            session.execute(deleteParts.bind(image.id()));
        }
        for (String sha256 : blobs) {
            Row meta = session.execute(selectBlob.bind(sha256)).one();
            if (meta != null && meta.getString("location") != null) {
                // Offloaded: the object goes before the row that points at it.
                try {
                    BlobOffload.delete(meta.getString("location"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete offloaded blob " + sha256, e);
                }
            }
            if (meta != null && meta.getString("location") == null) {
                for (int i = 0; i < meta.getInt("chunk_count"); i++) {
                    session.execute(deleteChunk.bind(sha256, i));
                }
            } else {
                // No metadata row (the blob's write was cut short), or an offloaded blob that
                // may have been chunked by an earlier run: chunks are contiguous from 0.
                for (int i = 0;
                        i < MAX_PROBED_CHUNKS
                                && session.execute(selectChunk.bind(sha256, i)).one() != null;
                        i++) {
                    session.execute(deleteChunk.bind(sha256, i));
                }
            }
            session.execute(deleteBlob.bind(sha256));
        }
        // Last: while the result row exists, running the erasure again finds everything above.
        for (Image image : images) {
            session.execute(deleteResult.bind(image.id()));
        }
    }
}
