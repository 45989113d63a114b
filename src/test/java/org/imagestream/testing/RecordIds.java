package org.imagestream.testing;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The image id the job gives a published record, computed by the test on its own: the record's
 * topic, partition and offset as the broker acknowledged them, and the first 8 characters of the
 * topic's UUID as Kafka's Admin API reports it ({@code <topic>-<partition>-<offset>@<id>}).
 */
public final class RecordIds {
    private static final Map<String, String> TOPIC_IDS = new ConcurrentHashMap<>();

    private RecordIds() {}

    public static String of(Properties client, RecordMetadata metadata) {
        return of(client, metadata.topic(), metadata.partition(), metadata.offset());
    }

    public static String of(Properties client, String topic, int partition, long offset) {
        return topic
                + "-"
                + partition
                + "-"
                + offset
                + "@"
                + topicId(client, topic).substring(0, 8);
    }

    /** The topic's current UUID (looked up again after {@link #forget}). */
    public static String topicId(Properties client, String topic) {
        String key = client.getProperty("bootstrap.servers") + "/" + topic;
        return TOPIC_IDS.computeIfAbsent(
                key,
                ignored -> {
                    try (Admin admin = Admin.create(client)) {
                        return admin.describeTopics(List.of(topic))
                                .allTopicNames()
                                .get(60, TimeUnit.SECONDS)
                                .get(topic)
                                .topicId()
                                .toString();
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot describe topic " + topic, e);
                    }
                });
    }

    /** Forgets a topic's id, after the test deleted and recreated the topic. */
    public static void forget(String bootstrapServers, String topic) {
        TOPIC_IDS.remove(bootstrapServers + "/" + topic);
    }
}
