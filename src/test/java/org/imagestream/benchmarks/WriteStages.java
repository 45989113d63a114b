package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Where a latency run's produce-to-row time went, read from Cassandra alone. Per image: the Kafka
 * timestamp (produce); the result's {@code classified_at}, the job's wall clock when the model's
 * answer became a result (ingest, shuffle, dedup, decode, batching and the model call are before
 * it); and the write time of each statement, the driver's client-side timestamp taken when the
 * job's sink sent it: the first blob chunk (the sink began), the blob's metadata row (its chunks
 * were stored) and the result row (the image's last write). One machine, one clock. Images with no
 * chunks of their own (copies answered by dedup, offloaded blobs) are left out of the sink's split
 * but kept in the per-domain and classify figures.
 */
final class WriteStages {
    private final Histogram toClassified = LatencyHistograms.create();
    private final Histogram classifiedToRow = LatencyHistograms.create();
    private final Histogram toSink = LatencyHistograms.create();
    private final Histogram chunksStored = LatencyHistograms.create();
    private final Histogram rowsAfterBlob = LatencyHistograms.create();
    private final Map<String, Histogram> rowByDomain = new TreeMap<>();
    private final Map<String, Histogram> classifiedByDomain = new TreeMap<>();
    private final Map<Integer, Histogram> classifiedBySubtask = new TreeMap<>();

    /** Per classify subtask, the slowest produce to classified per second of produce time. */
    private final Map<Integer, SlowestPerSecond> slowestBySubtask = new TreeMap<>();

    private int withoutChunks;

    private WriteStages() {}

    /**
     * The split of every image of {@code keyspace} produced at or after {@code fromMillis}, and per
     * classify subtask ({@code subtaskOfShard}: which subtask serves each shard named in the
     * results' {@code shard} column), over {@code seconds} of produce time.
     */
    static WriteStages read(
            CqlSession session,
            String keyspace,
            long fromMillis,
            int seconds,
            Map<String, Integer> subtaskOfShard) {
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
                        "SELECT domain, shard, content_sha256, received_at, classified_at,"
                                + " writetime(top_label) AS written FROM "
                                + keyspace
                                + ".results")) {
            long produced = row.getInstant("received_at").toEpochMilli();
            if (produced < fromMillis) {
                continue;
            }
            long resultMillis = row.getLong("written") / 1000;
            long classified = row.getInstant("classified_at").toEpochMilli();
            String domain = row.getString("domain");
            long toClassified = Math.max(0, classified - produced);
            stages.toClassified.recordValue(toClassified);
            stages.classifiedToRow.recordValue(Math.max(0, resultMillis - classified));
            stages.rowByDomain
                    .computeIfAbsent(domain, d -> LatencyHistograms.create())
                    .recordValue(Math.max(0, resultMillis - produced));
            stages.classifiedByDomain
                    .computeIfAbsent(domain, d -> LatencyHistograms.create())
                    .recordValue(toClassified);
            int subtask = subtaskOfShard.getOrDefault(row.getString("shard"), -1);
            stages.classifiedBySubtask
                    .computeIfAbsent(subtask, t -> LatencyHistograms.create())
                    .recordValue(toClassified);
            stages.slowestBySubtask
                    .computeIfAbsent(subtask, t -> new SlowestPerSecond(seconds))
                    .record(produced - fromMillis, toClassified);
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

    /** Report lines: p50 / p99 / max of each segment, then per domain. */
    String summary() {
        StringBuilder byDomain = new StringBuilder();
        for (Map.Entry<String, Histogram> entry : rowByDomain.entrySet()) {
            byDomain.append(
                    String.format(
                            Locale.ROOT,
                            "; %s (%d): produce to row %s, produce to classified %s",
                            entry.getKey(),
                            entry.getValue().getTotalCount(),
                            LatencyHistograms.p50p99max(entry.getValue()),
                            LatencyHistograms.p50p99max(classifiedByDomain.get(entry.getKey()))));
        }
        return String.format(
                Locale.ROOT,
                "where the time went (ms, p50 / p99 / max; %d images): produce to classified"
                        + " (ingest, shuffle, dedup, decode, batching, model) %s; classified to"
                        + " row sent %s; the sink, for the %d images with chunks of their own (%d"
                        + " copies or offloaded left out): produce to the first chunk %s, chunks"
                        + " stored %s, blob stored to result row sent %s; by domain%s",
                toClassified.getTotalCount(),
                LatencyHistograms.p50p99max(toClassified),
                LatencyHistograms.p50p99max(classifiedToRow),
                toSink.getTotalCount(),
                withoutChunks,
                LatencyHistograms.p50p99max(toSink),
                LatencyHistograms.p50p99max(chunksStored),
                LatencyHistograms.p50p99max(rowsAfterBlob),
                byDomain);
    }

    /**
     * Report lines per classify subtask: images, produce to classified (p50 / p99 / max), and the
     * slowest of it per second of produce time. Records reach a subtask by their shard, so one
     * subtask can be behind while the other idles; these lines show whether the tail is that.
     */
    String bySubtask() {
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<Integer, Histogram> entry : classifiedBySubtask.entrySet()) {
            lines.append(
                    String.format(
                            Locale.ROOT,
                            "classify subtask %d: %d images, produce to classified %s; slowest per"
                                    + " second of produce time (ms): %s%n",
                            entry.getKey(),
                            entry.getValue().getTotalCount(),
                            LatencyHistograms.p50p99max(entry.getValue()),
                            slowestBySubtask.get(entry.getKey())));
        }
        return lines.toString();
    }
}
