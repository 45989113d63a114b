package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Where a latency run's produce-to-row time went, read from Cassandra alone: each statement's write
 * time is the driver's client-side timestamp, taken when the job's sink sent it. Per image: the
 * Kafka timestamp (produce), the first blob chunk sent (the sink began: ingest, shuffle, decode,
 * batching and the model call are behind it), the blob's metadata row sent (its chunks were
 * stored), and the result row sent (the image's last write). The whole produce-to-row time is the
 * latency run's own histogram; images with no chunks of their own (copies answered by dedup,
 * offloaded blobs) are left out of the split.
 */
final class WriteStages {
    private final Histogram toSink = new Histogram(3_600_000L, 3);
    private final Histogram chunksStored = new Histogram(3_600_000L, 3);
    private final Histogram rowsAfterBlob = new Histogram(3_600_000L, 3);
    private int withoutChunks;

    private WriteStages() {}

    /** The split of every image of {@code keyspace} produced at or after {@code fromMillis}. */
    static WriteStages read(CqlSession session, String keyspace, long fromMillis) {
        Map<String, Long> firstChunkMicros = new HashMap<>();
        // writetime(data) makes the node read each chunk's bytes: small pages, or a page of
        // 5,000 chunks of up to 256 KB fills the benchmark node's 512 MB heap (it did).
        for (Row row :
                session.execute(
                        SimpleStatement.newInstance(
                                        "SELECT sha256, writetime(data) AS written FROM "
                                                + keyspace
                                                + ".blob_chunks")
                                .setPageSize(64))) {
            firstChunkMicros.merge(row.getString("sha256"), row.getLong("written"), Math::min);
        }
        Map<String, Long> blobMicros = new HashMap<>();
        for (Row row :
                session.execute(
                        "SELECT sha256, writetime(size) AS written FROM " + keyspace + ".blobs")) {
            blobMicros.put(row.getString("sha256"), row.getLong("written"));
        }
        WriteStages stages = new WriteStages();
        for (Row row :
                session.execute(
                        "SELECT content_sha256, received_at, writetime(top_label) AS written FROM "
                                + keyspace
                                + ".results")) {
            long produced = row.getInstant("received_at").toEpochMilli();
            if (produced < fromMillis) {
                continue;
            }
            long resultMillis = row.getLong("written") / 1000;
            Long chunk = firstChunkMicros.get(row.getString("content_sha256"));
            Long blob = blobMicros.get(row.getString("content_sha256"));
            if (chunk == null || blob == null || chunk / 1000 < produced) {
                // A copy whose blob its original stored (or an offloaded blob: no chunks).
                stages.withoutChunks++;
                continue;
            }
            stages.toSink.recordValue(Math.max(0, chunk / 1000 - produced));
            stages.chunksStored.recordValue(Math.max(0, (blob - chunk) / 1000));
            stages.rowsAfterBlob.recordValue(Math.max(0, resultMillis - blob / 1000));
        }
        return stages;
    }

    /** A report line: p50 / p99 / max of each segment. */
    String summary() {
        return String.format(
                Locale.ROOT,
                "where the time went (ms, p50 / p99 / max; %d images, %d without chunks of their"
                        + " own left out): produce to the sink's first chunk %s; chunks stored %s;"
                        + " blob stored to result row sent %s",
                toSink.getTotalCount(),
                withoutChunks,
                triple(toSink),
                triple(chunksStored),
                triple(rowsAfterBlob));
    }

    private static String triple(Histogram histogram) {
        return histogram.getTotalCount() == 0
                ? "-"
                : histogram.getValueAtPercentile(50)
                        + " / "
                        + histogram.getValueAtPercentile(99)
                        + " / "
                        + histogram.getMaxValue();
    }
}
