package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A topic deleted and recreated restarts its offsets at 0: with offsets alone in the image id, the
 * new topic's records would overwrite the old topic's rows. A job (same group) reads three images,
 * the topic is deleted and recreated, three other images are published at the same offsets and a
 * second job reads them: six rows, the first three unchanged (their content hashes and blobs are
 * the first images', computed here).
 */
@ExtendWith(LocalStackExtension.class)
class TopicRecreationITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldNeverOverwriteTheRowsOfAnEarlierIncarnationOfTheTopic(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "recreate", 1);
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("kafka.bounded", "true");
        Random random = new Random(88);

        Map<String, byte[]> first = publish(stack, streams.topic(), random, 0);
        run(options);

        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        try (Admin client = Admin.create(admin)) {
            client.deleteTopics(List.of(streams.topic())).all().get(60, TimeUnit.SECONDS);
            // Deletion completes asynchronously on the broker: wait until the name is free.
            long deadline = System.currentTimeMillis() + 60_000;
            while (client.listTopics().names().get().contains(streams.topic())) {
                assertThat(System.currentTimeMillis()).isLessThan(deadline);
                Thread.sleep(500);
            }
        }
        RecordIds.forget(stack.bootstrapServers(), streams.topic());
        stack.createTopics(1, streams.topic());
        Map<String, byte[]> second = publish(stack, streams.topic(), random, 3);
        run(options);

        try (CqlSession session = streams.settings().openSession()) {
            ResultReader reader = new ResultReader(session, streams.keyspace());
            List<StoredResult> rows = reader.all();
            Map<String, byte[]> all = new HashMap<>(first);
            all.putAll(second);
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .containsExactlyInAnyOrderElementsOf(all.keySet());
            for (StoredResult row : rows) {
                byte[] sent = all.get(row.imageId());
                assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(sent));
                assertThat(reader.readBlob(row.contentSha256())).isEqualTo(sent);
            }
        }
    }

    /** Three distinct photos; the ids say where they landed (the same offsets both times). */
    private static Map<String, byte[]> publish(
            LocalStack stack, String topic, Random random, int firstIndex) throws Exception {
        List<byte[]> images =
                List.of(
                        SampleImages.generate(Domain.SOCIAL, firstIndex, random).bytes(),
                        SampleImages.generate(Domain.SOCIAL, firstIndex + 1, random).bytes(),
                        SampleImages.generate(Domain.SOCIAL, firstIndex + 2, random).bytes());
        Map<String, byte[]> byId =
                PublishedImages.publishAll(
                        stack.bootstrapServers(),
                        topic,
                        images,
                        image -> Domain.SOCIAL,
                        image -> "photo",
                        image -> image);
        assertThat(byId.keySet())
                .allSatisfy(id -> assertThat(id).startsWith(topic + "-0-").contains("@"));
        return byId;
    }

    private static void run(Map<String, String> options) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("topic-recreation");
    }
}
