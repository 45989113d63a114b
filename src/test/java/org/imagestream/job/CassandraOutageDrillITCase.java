package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.CassandraServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault drills: Cassandra is stopped for 30 s while the job is writing (gracefully, or by {@code
 * kill -9}), then restarted. The job fails, restarts from its last checkpoint and replays;
 * afterwards every input has exactly one result row and query row, and every blob reads back
 * byte-exact. After a {@code kill -9} of this single replica that holds only if every write the
 * node acknowledged was already safe from the process's death: the job's checkpoints count
 * acknowledged writes as done (the local node's commit log, see CassandraServer).
 */
@ExtendWith(LocalStackExtension.class)
class CassandraOutageDrillITCase {
    private static final int IMAGES = 240;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withRestarts(2);

    @Test
    void shouldLoseNothingAndDuplicateNothingWhenCassandraIsDownFor30Seconds(LocalStack stack)
            throws Exception {
        loseNothingThrough(stack, "outage", CassandraServer::stop);
    }

    @Test
    void shouldLoseNothingAndDuplicateNothingWhenCassandraIsKilledAndRestarted(LocalStack stack)
            throws Exception {
        loseNothingThrough(stack, "killed", CassandraServer::kill);
    }

    private static void loseNothingThrough(
            LocalStack stack, String name, Consumer<CassandraServer> fault) throws Exception {
        TestStreams streams = TestStreams.create(stack, name);
        String topic = streams.topic();
        String keyspace = streams.keyspace();
        CassandraSettings settings = streams.settings();
        Map<Domain, ModelSpec> models = ModelStoreAccess.seedModels();

        Map<String, String> options =
                LocalJobOptions.of(stack, topic, streams.deadLetterTopic(), keyspace, models);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("cassandra-" + name + "-it");

        // Publish at ~8 images/s for ~30 s in the background, so writes are in flight when the
        // node goes down and keep arriving while it is down.
        PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), topic, IMAGES, 8, 0, 3);
        Map<String, byte[]> sent = producer.good(); // live view, complete after await()

        try {
            PipelineOutcomes.waitForResults(settings, 20, 120_000);
            fault.accept(stack.cassandra());
            assertThat(stack.cassandra().isAlive()).isFalse();
            Thread.sleep(30_000);
            stack.cassandra().restart();
            producer.await(120_000);
            assertThat(sent).hasSize(IMAGES);
            PipelineOutcomes.assertExactOutcome(
                    settings,
                    stack.bootstrapServers(),
                    streams.deadLetterTopic(),
                    producer,
                    true,
                    240_000);
        } finally {
            if (!stack.cassandra().isAlive()) {
                stack.cassandra().restart(); // leave the shared node up for other tests
            }
            job.cancel().get();
        }
    }
}
