package org.imagestream.job;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two jobs on one cluster with default settings (same consumer group, no transactional-id prefix
 * set), each reading its own topic and dead-lettering to its own topic, at the same time. With one
 * shared default prefix they fenced each other's dead-letter transactions; now each derives its
 * own, and each dead-letter topic holds exactly its own job's letters, and each keyspace exactly
 * its own rows.
 */
@ExtendWith(LocalStackExtension.class)
class TwoJobsDrillITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(4);

    @Test
    void shouldKeepEachJobsDeadLettersApartWithDefaultSettings(LocalStack stack) throws Exception {
        TestStreams first = TestStreams.create(stack, "twojobs-a");
        TestStreams second = TestStreams.create(stack, "twojobs-b");
        JobClient a = start(stack, first);
        JobClient b = start(stack, second);
        try (PacedProducer toFirst =
                        PacedProducer.start(stack.bootstrapServers(), first.topic(), 120, 8, 3, 5);
                PacedProducer toSecond =
                        PacedProducer.start(
                                stack.bootstrapServers(), second.topic(), 120, 8, 3, 6)) {
            toFirst.await(120_000);
            toSecond.await(120_000);
            for (var pair : Map.of(first, toFirst, second, toSecond).entrySet()) {
                TestStreams streams = pair.getKey();
                PacedProducer producer = pair.getValue();
                // Rows exactly the good images, dead letters exactly the malformed ones.
                PipelineOutcomes.assertExactOutcome(
                        streams.settings(),
                        stack.bootstrapServers(),
                        streams.deadLetterTopic(),
                        producer,
                        false,
                        240_000);
            }
        } finally {
            a.cancel().get();
            b.cancel().get();
        }
    }

    private static JobClient start(LocalStack stack, TestStreams streams) throws Exception {
        Map<String, String> options = new HashMap<>(LocalJobOptions.of(stack, streams));
        options.remove("kafka.group-id"); // both in the default group, as configured by nobody
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        return env.executeAsync("two-jobs-" + streams.topic());
    }
}
