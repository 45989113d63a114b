package org.imagestream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.storage.CassandraSettings;

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

    /** Reads the dead-letter topic until {@code expected} records arrived (or 30 s passed). */
    public static Map<String, String> deadLetterReasons(
            String bootstrap, String topic, int expected) {
        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : readCommitted(bootstrap, topic, expected)) {
            String id = header(record, ImageHeaders.DEAD_LETTER_IMAGE_ID);
            assertThat(reasons).as("duplicate dead letter for %s", id).doesNotContainKey(id);
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

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
