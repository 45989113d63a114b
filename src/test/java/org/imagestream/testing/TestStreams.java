package org.imagestream.testing;

import java.util.List;
import java.util.UUID;
import org.imagestream.localstack.LocalStack;
import org.imagestream.storage.CassandraSettings;

/**
 * One test's own input topic, dead-letter topic (2 partitions each unless asked, created here) and
 * Cassandra keyspace on the shared local stack, so tests never see each other's data.
 *
 * @param settings Cassandra settings pointing at the keyspace (created by the job at start)
 */
public record TestStreams(
        String topic, String deadLetterTopic, String keyspace, CassandraSettings settings) {
    /** Names from {@code prefix} plus a random suffix, e.g. {@code outage-1a2b3c4d}. */
    public static TestStreams create(LocalStack stack, String prefix) throws Exception {
        return create(stack, prefix, 2);
    }

    /** As above, with {@code partitions} partitions per topic. */
    public static TestStreams create(LocalStack stack, String prefix, int partitions)
            throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = prefix + "-" + suffix;
        String deadLetterTopic = prefix + "-dlq-" + suffix;
        String keyspace = prefix.replace('-', '_') + "_" + suffix;
        stack.createTopics(partitions, topic, deadLetterTopic);
        return new TestStreams(
                topic,
                deadLetterTopic,
                keyspace,
                CassandraSettings.builder()
                        .contactPoints(List.of(stack.cassandraContactPoint()))
                        .keyspace(keyspace)
                        .build());
    }
}
