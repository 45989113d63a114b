package org.imagestream.ingest;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Image ids that stay unique when a topic is deleted and recreated: {@code
 * <topic>-<partition>-<offset>@<topic id>}, the topic id being the first 8 characters of the
 * topic's Kafka UUID (a new UUID for every incarnation of a topic, random across clusters). Offsets
 * alone restart at 0 in a recreated topic, and the new records' rows would overwrite the old ones.
 * The same record gets the same id on every replay.
 *
 * <p>The topic id is not on a consumed record, so it is asked from the broker: once per topic, and
 * again when a partition's offset goes backwards (a recreated topic, or a replay after a restore,
 * where the id comes back unchanged).
 */
public final class ImageIds {
    /** Characters of the topic UUID (base64, 22 in all) kept in the id: 48 bits. */
    static final int TOPIC_ID_CHARS = 8;

    /** Looks a topic's id up; the job's implementation asks the broker. */
    @FunctionalInterface
    public interface TopicIdLookup extends Serializable {
        String topicId(String topic) throws Exception;
    }

    private final TopicIdLookup lookup;
    private final Map<String, String> topicIds = new HashMap<>();
    private final Map<String, Long> highestOffsets = new HashMap<>();

    public ImageIds(TopicIdLookup lookup) {
        this.lookup = lookup;
    }

    /** The id of the record at this position. */
    public String of(String topic, int partition, long offset) {
        String partitionKey = topic + "-" + partition;
        Long highest = highestOffsets.get(partitionKey);
        if (!topicIds.containsKey(topic) || (highest != null && offset < highest)) {
            topicIds.put(topic, shortId(lookupId(topic)));
            highestOffsets.keySet().removeIf(key -> key.startsWith(topic + "-"));
            highest = null;
        }
        highestOffsets.put(partitionKey, highest == null ? offset : Math.max(highest, offset));
        return format(topic, partition, offset, topicIds.get(topic));
    }

    /** The id format, for tools that know a record's topic id. */
    public static String format(String topic, int partition, long offset, String topicId) {
        return topic + "-" + partition + "-" + offset + "@" + shortId(topicId);
    }

    private static String shortId(String topicId) {
        return topicId.length() <= TOPIC_ID_CHARS ? topicId : topicId.substring(0, TOPIC_ID_CHARS);
    }

    private String lookupId(String topic) {
        try {
            return lookup.topicId(topic);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(
                    "Cannot read the id of topic "
                            + topic
                            + " from Kafka (the job needs Describe on its topics): "
                            + e,
                    e);
        }
    }

    /** Asks the broker with these client properties (bootstrap servers, TLS, SASL). */
    public static TopicIdLookup fromBroker(Properties clientProperties) {
        Properties properties = new Properties();
        properties.putAll(clientProperties);
        return topic -> {
            Properties admin = new Properties();
            admin.putAll(properties);
            admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
            try (Admin client = Admin.create(admin)) {
                return client.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(60, TimeUnit.SECONDS)
                        .get(topic)
                        .topicId()
                        .toString();
            }
        };
    }
}
