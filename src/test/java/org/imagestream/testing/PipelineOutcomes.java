package org.imagestream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;

/** What a pipeline run left behind: result rows in Cassandra and committed dead letters. */
public final class PipelineOutcomes {
    private PipelineOutcomes() {}

    /** Polls the results table until it holds at least {@code expected} rows. */
    public static void waitForResults(CassandraSettings settings, int expected, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        long count = 0;
        while (System.currentTimeMillis() < deadline) {
            try (CqlSession session = settings.openSession()) {
                count =
                        session.execute("SELECT count(*) FROM " + settings.keyspace() + ".results")
                                .one()
                                .getLong(0);
                if (count >= expected) {
                    return;
                }
            } catch (RuntimeException e) {
                // Keyspace not created yet, or the node is restarting: try again.
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(
                "only " + count + " of " + expected + " results after " + timeoutMillis + " ms");
    }

    /**
     * The exactly-once outcome of a paced run, after the producer finished: waits for a row per
     * good image, then checks that the rows are exactly the good images (no duplicate), that the
     * listing table has one row per image (replays rewrite, never add), that the dead letters are
     * exactly the malformed images, and, with {@code checkBlobs}, that every blob reads back as the
     * bytes sent (de-identified for DICOM).
     */
    public static void assertExactOutcome(
            CassandraSettings settings,
            String bootstrapServers,
            String deadLetterTopic,
            PacedProducer producer,
            boolean checkBlobs,
            long timeoutMillis)
            throws Exception {
        Map<String, byte[]> good = producer.good();
        waitForResults(settings, good.size(), timeoutMillis);
        Map<String, String> reasons =
                deadLetterReasons(bootstrapServers, deadLetterTopic, producer.malformed().size());
        assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(producer.malformed());
        try (CqlSession session = settings.openSession()) {
            ResultReader reader = new ResultReader(session, settings.keyspace());
            List<StoredResult> rows = reader.all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(good.keySet());
            long listed =
                    session.execute(
                                    "SELECT count(*) FROM "
                                            + settings.keyspace()
                                            + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(listed)
                    .as("listing rows (replays rewrite, never add)")
                    .isEqualTo(good.size());
            if (checkBlobs) {
                Set<String> checked = new HashSet<>();
                for (StoredResult row : rows) {
                    byte[] sent = StoredBytes.of(row.domain(), good.get(row.imageId()));
                    assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(sent));
                    if (checked.add(row.contentSha256())) {
                        assertThat(reader.readBlob(row.contentSha256())).isEqualTo(sent);
                    }
                }
            }
        }
    }

    /** Reads the dead-letter topic until {@code expected} records arrived (or 30 s passed). */
    public static Map<String, String> deadLetterReasons(
            String bootstrap, String topic, int expected) {
        Map<String, String> reasons = new HashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> firstOf = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : readCommitted(bootstrap, topic, expected)) {
            String id = header(record, ImageHeaders.DEAD_LETTER_IMAGE_ID);
            ConsumerRecord<byte[], byte[]> first = firstOf.putIfAbsent(id, record);
            // Where both copies sit tells a second write (two offsets) from a re-read (one).
            assertThat(first)
                    .as(
                            "duplicate dead letter for %s: %s and %s",
                            id, describe(first), describe(record))
                    .isNull();
            reasons.put(id, header(record, ImageHeaders.DEAD_LETTER_REASON));
            assertThat(header(record, ImageHeaders.DEAD_LETTER_MESSAGE)).isNotBlank();
        }
        return reasons;
    }

    /**
     * Every committed record of a topic: polls until {@code expected} arrived (or 30 s passed),
     * then one more second for stragglers (duplicates would be a bug).
     */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
            String bootstrap, String topic, int expected) {
        return readCommitted(bootstrap, new Properties(), topic, expected);
    }

    /** As above, with extra client properties (TLS, SASL, ...). */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
            String bootstrap, Properties client, String topic, int expected) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Dead letters are written in Kafka transactions: read only committed ones.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && all.size() < expected) {
                consumer.poll(Duration.ofMillis(500)).forEach(all::add);
            }
            // Give stragglers (duplicates would be a bug) a moment to show up.
            consumer.poll(Duration.ofSeconds(1)).forEach(all::add);
        }
        return all;
    }

    private static String describe(ConsumerRecord<byte[], byte[]> record) {
        if (record == null) {
            return "none";
        }
        StringBuilder text =
                new StringBuilder()
                        .append(record.partition())
                        .append('@')
                        .append(record.offset())
                        .append(" ts ")
                        .append(record.timestamp());
        record.headers()
                .forEach(
                        h ->
                                text.append(' ')
                                        .append(h.key())
                                        .append('=')
                                        .append(new String(h.value(), StandardCharsets.UTF_8)));
        return text.toString();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /**
     * The listing table holds exactly one row per image of {@code topLabels} (image id -> the top
     * label of its stored result), under that label: a replay that changed a label moved the row.
     */
    public static void assertOneListingRowPerResult(
            CqlSession session, String keyspace, Map<String, String> topLabels) {
        Map<String, List<String>> listed = new HashMap<>();
        for (com.datastax.oss.driver.api.core.cql.Row row :
                session.execute("SELECT image_id, label FROM " + keyspace + ".results_by_label")) {
            listed.computeIfAbsent(row.getString("image_id"), id -> new ArrayList<>())
                    .add(row.getString("label"));
        }
        assertThat(listed.keySet()).containsExactlyInAnyOrderElementsOf(topLabels.keySet());
        listed.forEach(
                (id, labels) -> assertThat(labels).as(id).containsExactly(topLabels.get(id)));
    }
}
