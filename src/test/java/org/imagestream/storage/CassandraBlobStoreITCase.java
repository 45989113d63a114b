package org.imagestream.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Classification;
import org.imagestream.testing.TestFlink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Cassandra sink against a real Cassandra node: byte-exact blobs, idempotent replays, dedup.
 */
@ExtendWith(LocalStackExtension.class)
class CassandraBlobStoreITCase {
    /** 1 KiB, 300 KiB, 5 MiB, 40 MiB, and the 300 KiB content again under another image id. */
    private static final int[] SIZES = {
        1024, 300 * 1024, 5 * 1024 * 1024, 40 * 1024 * 1024, 300 * 1024
    };

    private static final long[] SEEDS = {1, 2, 3, 4, 2};

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldRefuseAnIncompatiblePreExistingTableAtStartNamingTableAndColumn(LocalStack stack) {
        String keyspace = "clash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        CassandraSettings settings = settings(stack, keyspace);
        try (CqlSession session = settings.openSession()) {
            session.execute(
                    "CREATE KEYSPACE "
                            + keyspace
                            + " WITH replication = {'class': 'SimpleStrategy',"
                            + " 'replication_factor': 1}");
            // Someone else's table of the same name: width as text, no extras column.
            session.execute(
                    "CREATE TABLE "
                            + keyspace
                            + ".results (image_id text PRIMARY KEY, width text, height int)");
            session.execute(
                    "CREATE TABLE "
                            + keyspace
                            + ".blob_chunks (sha256 text, chunk_index int, data text,"
                            + " PRIMARY KEY (sha256, chunk_index))");
            assertThatThrownBy(() -> CassandraSchema.create(session, settings))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("column " + keyspace + ".results.width is text")
                    .hasMessageContaining(keyspace + ".results.domain is missing")
                    .hasMessageContaining(keyspace + ".blob_chunks.data is text")
                    .hasMessageContaining("partition key [sha256]");
            assertThat(
                            session.execute("SELECT count(*) FROM " + keyspace + ".results")
                                    .one()
                                    .getLong(0))
                    .isZero();
        }
    }

    @Test
    void shouldStoreBlobsByteExactOnceAndRewriteTheSameRowsOnReplay(LocalStack stack)
            throws Exception {
        String keyspace = "blobs_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        CassandraSettings settings = settings(stack, keyspace);
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
            // create() turns schema metadata off while its statements run: the session keeps
            // token-aware routing only if it is back on afterwards.
            assertThat(session.isSchemaMetadataEnabled()).isTrue();
        }

        writeBatch(settings);
        long[] firstCounts = counts(settings);
        writeBatch(settings); // a replay of the same batch after a failure
        long[] replayCounts = counts(settings);

        int expectedChunks = 0;
        for (int i = 0; i < SIZES.length - 1; i++) {
            expectedChunks +=
                    CassandraResultSinkWriter.chunkCount(
                            SIZES[i], CassandraSettings.DEFAULT_CHUNK_SIZE);
        }
        // results, results_by_label, blobs (identical content shares one), blob_chunks
        assertThat(firstCounts).containsExactly(5, 5, 4, expectedChunks);
        assertThat(replayCounts).containsExactly(firstCounts);

        try (CqlSession session = settings.openSession()) {
            ResultReader reader = new ResultReader(session, keyspace);
            for (int i = 0; i < SIZES.length; i++) {
                byte[] expected = bytes(i);
                StoredResult row = reader.find("blob-it-" + i).orElseThrow();
                assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(expected));
                assertThat(reader.readBlob(row.contentSha256()))
                        .as("blob %d (%d bytes)", i, SIZES[i])
                        .isEqualTo(expected);
            }
            assertThat(reader.find("blob-it-1").orElseThrow().contentSha256())
                    .isEqualTo(reader.find("blob-it-4").orElseThrow().contentSha256());
            List<ResultReader.Listing> listed =
                    reader.list(
                            "social",
                            "circle",
                            Instant.parse("2026-11-01T00:00:00Z"),
                            Instant.parse("2026-11-03T00:00:00Z"),
                            10);
            assertThat(listed)
                    .extracting(ResultReader.Listing::imageId)
                    .containsExactly(
                            "blob-it-4", "blob-it-3", "blob-it-2", "blob-it-1", "blob-it-0");
        }
    }

    /**
     * A copy (a dedup hit) that reaches a writer which did not store its blob (after a restart, or
     * long after its first copy) rewrites nothing that is complete, and stores a blob that is gone:
     * the chunks' and metadata rows' write times of stored blobs are unchanged, and a blob deleted
     * between the runs is back byte for byte.
     */
    @Test
    void shouldStoreACopysBlobOnlyWhenItIsNotComplete(LocalStack stack) throws Exception {
        String keyspace = "copy_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        CassandraSettings settings = settings(stack, keyspace);
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
        }
        writeBatch(settings);
        String kept = DigestUtils.sha256Hex(bytes(0));
        String gone = DigestUtils.sha256Hex(bytes(2));
        long[] keptWritten;
        try (CqlSession session = settings.openSession()) {
            keptWritten = writeTimes(session, keyspace, kept);
            session.execute("DELETE FROM " + keyspace + ".blobs WHERE sha256 = '" + gone + "'");
            session.execute(
                    "DELETE FROM "
                            + keyspace
                            + ".blob_chunks WHERE sha256 = '"
                            + gone
                            + "' AND chunk_index = 0");
        }

        // A new job, so new writers: copies of images 0 and 2 under ids of their own.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromSequence(0, 2)
                .filter(index -> index != 1)
                .map(new ToClassification())
                .map(
                        copy -> {
                            copy.deduplicated = true;
                            copy.imageId = copy.imageId + "-copy";
                            return copy;
                        })
                .returns(Classification.class)
                .sinkTo(new CassandraResultSink(settings));
        env.execute("blob-copy-it");

        try (CqlSession session = settings.openSession()) {
            assertThat(writeTimes(session, keyspace, kept)).containsExactly(keptWritten);
            ResultReader reader = new ResultReader(session, keyspace);
            assertThat(reader.find("blob-it-0-copy").orElseThrow().contentSha256()).isEqualTo(kept);
            assertThat(reader.find("blob-it-2-copy").orElseThrow().contentSha256()).isEqualTo(gone);
            assertThat(reader.readBlob(gone)).isEqualTo(bytes(2));
        }
    }

    /** Write times (microseconds) of a blob's metadata row and of its first chunk. */
    private static long[] writeTimes(CqlSession session, String keyspace, String sha) {
        return new long[] {
            session.execute(
                            "SELECT writetime(size) FROM "
                                    + keyspace
                                    + ".blobs WHERE sha256 = '"
                                    + sha
                                    + "'")
                    .one()
                    .getLong(0),
            session.execute(
                            "SELECT writetime(data) FROM "
                                    + keyspace
                                    + ".blob_chunks WHERE sha256 = '"
                                    + sha
                                    + "' AND chunk_index = 0")
                    .one()
                    .getLong(0)
        };
    }

    /**
     * The measured table and node options (docs/benchmarks.md): blob chunks, mostly
     * already-compressed image bytes, are stored without compression and compacted by UCS with
     * fan-out 8; the row tables keep Cassandra's LZ4 and size-tiered compaction; the local node
     * keeps memtables off the heap in 256 MiB. Read back from the node's own schema and settings
     * tables.
     */
    @Test
    void shouldCreateTablesAndRunTheNodeWithTheMeasuredOptions(LocalStack stack) {
        String keyspace = "opts_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        CassandraSettings settings = settings(stack, keyspace);
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
            java.util.function.Function<String, Map<String, String>> compression =
                    table ->
                            session.execute(
                                            "SELECT compression FROM system_schema.tables WHERE"
                                                    + " keyspace_name = ? AND table_name = ?",
                                            keyspace,
                                            table)
                                    .one()
                                    .getMap("compression", String.class, String.class);
            java.util.function.Function<String, Map<String, String>> compaction =
                    table ->
                            session.execute(
                                            "SELECT compaction FROM system_schema.tables WHERE"
                                                    + " keyspace_name = ? AND table_name = ?",
                                            keyspace,
                                            table)
                                    .one()
                                    .getMap("compaction", String.class, String.class);
            assertThat(compression.apply("blob_chunks")).containsEntry("enabled", "false");
            assertThat(compaction.apply("blob_chunks"))
                    .containsEntry("scaling_parameters", "T8")
                    .extractingByKey("class")
                    .asString()
                    .endsWith("UnifiedCompactionStrategy");
            for (String table : List.of("results", "results_by_label", "blobs", "result_parts")) {
                assertThat(compression.apply(table).get("class")).as(table).contains("LZ4");
                assertThat(compaction.apply(table).get("class"))
                        .as(table)
                        .endsWith("SizeTieredCompactionStrategy");
            }
            java.util.function.Function<String, String> nodeSetting =
                    name ->
                            session.execute(
                                            "SELECT value FROM system_views.settings WHERE name = ?",
                                            name)
                                    .one()
                                    .getString("value");
            assertThat(nodeSetting.apply("memtable_allocation_type")).isEqualTo("offheap_objects");
            assertThat(nodeSetting.apply("memtable_offheap_space")).isEqualTo("256MiB");
        }
    }

    /**
     * A deduplicated copy's row is written with the full row TTL up to the dedup window after the
     * blob: the blob's TTL must be the row TTL plus that window (1 day + 1 h here), never less than
     * any row that points at it.
     */
    @Test
    void shouldKeepBlobsAtLeastAsLongAsEveryRowThatPointsAtThem(LocalStack stack) throws Exception {
        String keyspace = "ttl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .ttl(org.imagestream.model.Domain.SOCIAL, Duration.ofDays(1))
                        .dedupWindow(Duration.ofHours(1))
                        .build();
        try (CqlSession session = settings.openSession()) {
            CassandraSchema.create(session, settings);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromSequence(1, 1)
                .map(new ToClassification())
                .map(
                        first -> {
                            first.deduplicated = true; // a later copy: its blob is stored once
                            first.imageId = "blob-it-copy";
                            return first;
                        })
                .returns(Classification.class)
                .union(env.fromSequence(1, 1).map(new ToClassification()))
                .sinkTo(new CassandraResultSink(settings));
        env.execute("blob-ttl-it");
        try (CqlSession session = settings.openSession()) {
            String sha = DigestUtils.sha256Hex(bytes(1));
            int rowTtl =
                    session.execute(
                                    "SELECT TTL(top_label) FROM "
                                            + keyspace
                                            + ".results WHERE image_id = 'blob-it-copy'")
                            .one()
                            .getInt(0);
            int blobTtl =
                    session.execute(
                                    "SELECT TTL(size) FROM "
                                            + keyspace
                                            + ".blobs WHERE sha256 = '"
                                            + sha
                                            + "'")
                            .one()
                            .getInt(0);
            int chunkTtl =
                    session.execute(
                                    "SELECT TTL(data) FROM "
                                            + keyspace
                                            + ".blob_chunks WHERE sha256 = '"
                                            + sha
                                            + "' AND chunk_index = 0")
                            .one()
                            .getInt(0);
            assertThat(rowTtl).isBetween(86_400 - 120, 86_400);
            assertThat(blobTtl).isBetween(rowTtl + 3_600 - 120, 86_400 + 3_600);
            assertThat(chunkTtl).isBetween(rowTtl + 3_600 - 120, 86_400 + 3_600);
        }
    }

    private static void writeBatch(CassandraSettings settings) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.fromSequence(0, SIZES.length - 1)
                .map(new ToClassification())
                .sinkTo(new CassandraResultSink(settings));
        env.execute("blob-store-it");
    }

    private static long[] counts(CassandraSettings settings) {
        try (CqlSession session = settings.openSession()) {
            String ks = settings.keyspace();
            return new long[] {
                session.execute("SELECT count(*) FROM " + ks + ".results").one().getLong(0),
                session.execute("SELECT count(*) FROM " + ks + ".results_by_label")
                        .one()
                        .getLong(0),
                session.execute("SELECT count(*) FROM " + ks + ".blobs").one().getLong(0),
                session.execute("SELECT count(*) FROM " + ks + ".blob_chunks").one().getLong(0)
            };
        }
    }

    static byte[] bytes(int index) {
        byte[] bytes = new byte[SIZES[index]];
        new Random(SEEDS[index]).nextBytes(bytes);
        return bytes;
    }

    /** Builds the classification for one index; bytes are generated on the task, not shipped. */
    private static final class ToClassification implements MapFunction<Long, Classification> {
        @Override
        public Classification map(Long index) {
            int i = index.intValue();
            Classification c = new Classification();
            c.imageId = "blob-it-" + i;
            c.domain = "social";
            c.sourceId = "source-" + i;
            c.contentType = "application/octet-stream";
            c.bytes = bytes(i);
            c.contentSha256 = DigestUtils.sha256Hex(c.bytes);
            c.shard = "shard-000";
            c.modelName = "test-model";
            c.modelVersion = "1";
            c.labels = new java.util.ArrayList<>(List.of("circle", "square"));
            c.scores = new java.util.ArrayList<>(List.of(0.9f, 0.1f));
            c.width = 1;
            c.height = 1;
            c.receivedAtMillis =
                    Instant.parse("2026-11-02T10:00:00Z")
                            .plus(Duration.ofMinutes(i))
                            .toEpochMilli();
            c.classifiedAtMillis = System.currentTimeMillis();
            return c;
        }
    }

    private static CassandraSettings settings(LocalStack stack, String keyspace) {
        return CassandraSettings.builder()
                .contactPoints(List.of(stack.cassandraContactPoint()))
                .keyspace(keyspace)
                .build();
    }
}
