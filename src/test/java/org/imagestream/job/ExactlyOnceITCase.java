package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once effect end to end: 2,000 images (5% malformed) stream while the job is failed twice
 * — its Cassandra sink fails (node stopped until a task has failed over) and its TaskManager is
 * killed and replaced. Afterwards result rows + committed dead letters equal the input: 0 lost, 0
 * duplicates.
 */
@ExtendWith(LocalStackExtension.class)
class ExactlyOnceITCase {
    private static final int IMAGES = 2000;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withRestarts(2);

    @Test
    void shouldEndWithExactlyOneRowOrDeadLetterPerInputAfterTwoFailures(
            LocalStack stack, @InjectMiniCluster MiniCluster cluster) throws Exception {
        TestStreams streams = TestStreams.create(stack, "exactly-once");
        String topic = streams.topic();
        String deadLetterTopic = streams.deadLetterTopic();
        String keyspace = streams.keyspace();
        CassandraSettings settings = streams.settings();

        Map<String, String> options =
                LocalJobOptions.of(
                        stack, topic, deadLetterTopic, keyspace, ModelStoreAccess.seedModels());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("exactly-once-it");

        // ~50 images/s of all three domains, 1 in 20 malformed: the stream lasts about 40 s.
        PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), topic, IMAGES, 50, 20, 2000);
        // Live views: complete once the producer has finished.
        Set<String> good = producer.good().keySet();
        Set<String> bad = producer.malformed();

        Map<String, String> reasons;
        try {
            PipelineOutcomes.waitForResults(settings, 200, 120_000);
            // Failure 1: the sink's tasks fail while Cassandra is down.
            int attempts = latestAttempt(cluster, job.getJobID());
            stack.cassandra().stop();
            awaitRestartAfter(cluster, job.getJobID(), attempts);
            stack.cassandra().restart();
            PipelineOutcomes.waitForResults(settings, 800, 180_000);
            // Failure 2: the TaskManager dies and a new one takes over.
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            producer.await(180_000);
            assertThat(good.size() + bad.size()).isEqualTo(IMAGES);
            PipelineOutcomes.waitForResults(settings, good.size(), 300_000);
            // Dead letters become visible when their checkpoint's transaction commits: read them
            // while the job still runs. deadLetterReasons fails on a duplicate image id.
            reasons =
                    PipelineOutcomes.deadLetterReasons(
                            stack.bootstrapServers(), deadLetterTopic, bad.size());
        } finally {
            if (!stack.cassandra().isAlive()) {
                stack.cassandra().restart();
            }
            job.cancel().get();
        }

        try (CqlSession session = settings.openSession()) {
            List<StoredResult> rows = new ResultReader(session, keyspace).all();
            assertThat(rows)
                    .extracting(StoredResult::imageId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(good);
            long queryRows =
                    session.execute("SELECT count(*) FROM " + keyspace + ".results_by_label")
                            .one()
                            .getLong(0);
            assertThat(queryRows).isEqualTo(good.size());
        }
        assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(bad);
    }

    /** The highest execution attempt number of the job's tasks (0 until one restarts). */
    private static int latestAttempt(MiniCluster cluster, JobID job) throws Exception {
        int latest = 0;
        for (AccessExecutionVertex vertex :
                cluster.getExecutionGraph(job).get().getAllExecutionVertices()) {
            latest = Math.max(latest, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return latest;
    }

    /** Until a task has been restarted since {@code attempt}: the failure meant has happened. */
    private static void awaitRestartAfter(MiniCluster cluster, JobID job, int attempt)
            throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (latestAttempt(cluster, job) <= attempt) {
            assertThat(System.currentTimeMillis())
                    .as("a task restarted while Cassandra was down")
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
