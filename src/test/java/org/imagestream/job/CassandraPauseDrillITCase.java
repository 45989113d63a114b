package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.testing.CapturingMetricReporter;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cassandra frozen ({@code SIGSTOP}: connections stay open, nothing answers, like a node in a long
 * GC pause or a hung disk) for 90 s, longer than the job's 60 s dead-letter transaction timeout,
 * while malformed records keep arriving; then thawed. Checkpoints time out (10 s, 3 tolerated), so
 * the start check allows the 60 s timeout: 4 x (10 s + 2 s) = 48 s. Afterwards every record has
 * exactly one row or one committed dead letter: no dead letter was lost to the broker's timeout
 * (none counted lost), and the drill really hit the job (Cassandra writes timed out and were
 * retried).
 */
@ExtendWith(LocalStackExtension.class)
class CassandraPauseDrillITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = withRestartsCapturingMetrics();

    private static MiniClusterExtension withRestartsCapturingMetrics() {
        org.apache.flink.configuration.Configuration configuration =
                new org.apache.flink.configuration.Configuration();
        configuration.setString("restart-strategy.type", "fixed-delay");
        configuration.setString("restart-strategy.fixed-delay.attempts", "1000");
        configuration.setString("restart-strategy.fixed-delay.delay", "2 s");
        CapturingMetricReporter.configure(configuration);
        return new MiniClusterExtension(
                new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(2)
                        .setConfiguration(configuration)
                        .build());
    }

    @Test
    void shouldCommitEveryDeadLetterThroughAFreezeLongerThanTheTransactionTimeout(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "freeze");
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("kafka.dead-letter-transaction-timeout", "60 s");
        options.put("job.checkpoint-interval", "2 s");
        CapturingMetricReporter.clear();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.getCheckpointConfig().setCheckpointTimeout(10_000);
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(3);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("cassandra-freeze-drill");
        long pid = stack.cassandra().pid();
        // ~40 s of images at 6/s, 1 in 4 malformed: dead letters keep coming during the freeze.
        PacedProducer producer =
                PacedProducer.start(stack.bootstrapServers(), streams.topic(), 240, 6, 4, 19);
        try {
            PipelineOutcomes.waitForResults(streams.settings(), 20, 120_000);
            signal("STOP", pid);
            Thread.sleep(90_000);
            signal("CONT", pid);
            producer.await(120_000);
            PipelineOutcomes.assertExactOutcome(
                    streams.settings(),
                    stack.bootstrapServers(),
                    streams.deadLetterTopic(),
                    producer,
                    true,
                    400_000);
            assertThat(CapturingMetricReporter.counterSum("cassandraRetries", null))
                    .as("the freeze timed Cassandra writes out")
                    .isPositive();
            assertThat(CapturingMetricReporter.counterSum("transactionsLost", null)).isZero();
        } finally {
            signal("CONT", pid);
            job.cancel().get();
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor())
                .isZero();
    }
}
