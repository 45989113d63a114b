package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.StoredBytes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault drill: Cassandra is stopped for 30 s while the job is writing, then restarted. The job
 * fails, restarts from its last checkpoint and replays; afterwards every input has exactly one
 * result row and query row, and every blob reads back byte-exact.
 */
@ExtendWith(LocalStackExtension.class)
class CassandraOutageITCase {
    private static final int IMAGES = 240;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withRestarts(2);

    @Test
    void shouldLoseNothingAndDuplicateNothingWhenCassandraIsDownFor30Seconds(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "outage");
        String topic = streams.topic();
        String keyspace = streams.keyspace();
        CassandraSettings settings = streams.settings();
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();

        Map<String, String> options =
                LocalJobOptions.of(stack, topic, streams.deadLetterTopic(), keyspace, models);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("cassandra-outage-it");

        // Publish at ~8 images/s for ~30 s in the background, so writes are in flight when the
        // node goes down and keep arriving while it is down.
        PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), topic, IMAGES, 8, 0, 3);
        Map<String, byte[]> sent = producer.good(); // live view, complete after await()

        try {
            PipelineOutcomes.waitForResults(settings, 20, 120_000);
            stack.cassandra().stop();
            Thread.sleep(30_000);
            stack.cassandra().restart();
            producer.await(120_000);
            assertThat(sent).hasSize(IMAGES);
            PipelineOutcomes.waitForResults(settings, IMAGES, 240_000);
        } finally {
            if (!stack.cassandra().isAlive()) {
                stack.cassandra().restart(); // leave the shared node up for other tests
            }
            job.cancel().get();
        }

        try (CqlSession session = settings.openSession()) {
            ResultReader reader = new ResultReader(session, keyspace);
            List<StoredResult> rows = reader.all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());
            long queryRows =
                    session.execute("SELECT count(*) FROM " + keyspace + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(queryRows).isEqualTo(IMAGES);
            Set<String> checked = new java.util.HashSet<>();
            for (StoredResult row : rows) {
                byte[] stored = StoredBytes.of(row.domain(), sent.get(row.imageId()));
                assertThat(row.contentSha256()).isEqualTo(DigestUtils.sha256Hex(stored));
                if (checked.add(row.contentSha256())) {
                    assertThat(reader.readBlob(row.contentSha256())).isEqualTo(stored);
                }
            }
        }
    }
}
