package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.config.JobConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dead-letter transaction the broker aborted is a loss the job cannot miss. Malformed records are
 * dead-lettered into an open transaction; an intermediate savepoint pre-commits it (savepoints do
 * not commit side effects), the job is cancelled, and the job is restored from the savepoint only
 * after the broker has aborted the transaction for its 10 s timeout (a restore later than the
 * transaction timeout). The connector's committer alone would count the failure and run on with the
 * letters gone; with the default {@code kafka.dead-letter-fail-on-lost-commit} the job fails naming
 * the lost transaction, and the letters are indeed not in the topic.
 */
@ExtendWith(LocalStackExtension.class)
class DeadLetterLossITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @TempDir static Path savepoints;

    @Test
    void shouldFailTheJobWhenADeadLetterTransactionWasAbortedBeforeItsCommit(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "dlloss");
        Map<String, String> options = LocalJobOptions.of(stack, streams);
        // The start check allows 10 s: (0 + 1) x (3 s timeout + 2 s interval + 3 s min pause).
        options.put("kafka.dead-letter-transaction-timeout", "10 s");
        options.put("job.checkpoint-interval", "2 s");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.getCheckpointConfig().setCheckpointTimeout(3_000);
        // No periodic checkpoint right after the savepoint: it would commit the transaction.
        env.getCheckpointConfig().setMinPauseBetweenCheckpoints(3_000);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient first = env.executeAsync("dead-letter-loss-first");

        Set<String> malformed = new HashSet<>();
        Random random = new Random(77);
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            for (int i = 0; i < 3; i++) {
                byte[] noise = new byte[400];
                random.nextBytes(noise);
                malformed.add(
                        PublishedImages.publish(
                                publisher, streams.topic(), Domain.SOCIAL, "noise-" + i, noise));
            }
        }
        // Wait until the job has written the three letters into its open transaction (visible
        // uncommitted), so the savepoint pre-commits exactly that transaction.
        long deadline = System.currentTimeMillis() + 120_000;
        while (read(stack, streams.deadLetterTopic(), "read_uncommitted").size() < 3) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(500);
        }
        String savepoint =
                first.triggerSavepoint(savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS);
        first.cancel().get(60, TimeUnit.SECONDS);

        // Until the broker has aborted the savepoint's transaction (its 10 s timeout plus the
        // abort sweep, every 10 s): then its abort marker lets the last stable offset, where
        // read_committed readers end, reach the end of the topic.
        deadline = System.currentTimeMillis() + 60_000;
        while (!endOffsets(stack, streams.deadLetterTopic(), "read_committed")
                .equals(endOffsets(stack, streams.deadLetterTopic(), "read_uncommitted"))) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(500);
        }

        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment restored =
                StreamExecutionEnvironment.getExecutionEnvironment(restore);
        restored.setParallelism(1);
        restored.getCheckpointConfig().setCheckpointTimeout(3_000);
        restored.getCheckpointConfig().setMinPauseBetweenCheckpoints(3_000);
        ImageClassificationJob.build(restored, JobConfig.fromMap(options));
        JobClient second = restored.executeAsync("dead-letter-loss-restored");
        try {
            // The first commit of the restored job fails it; bounded by a timeout, so a commit
            // that wrongly succeeds fails the test instead of running forever.
            assertThatThrownBy(() -> second.getJobExecutionResult().get(180, TimeUnit.SECONDS))
                    .satisfies(
                            failure ->
                                    assertThat(ExceptionUtils.stringifyException(failure))
                                            .contains(
                                                    "could not be committed and their records"
                                                            + " are lost")
                                            .contains("COMPLETE_ABORT"));
        } finally {
            if (!second.getJobStatus().get().isGloballyTerminalState()) {
                second.cancel().get(60, TimeUnit.SECONDS);
            }
        }

        // The failure was real: the three letters were written, in a transaction the broker
        // aborted, so a read_committed consumer sees none of them.
        assertThat(read(stack, streams.deadLetterTopic(), "read_uncommitted")).hasSize(3);
        assertThat(read(stack, streams.deadLetterTopic(), "read_committed")).isEmpty();
        assertThat(malformed).hasSize(3);
    }

    /** A consumer without a group, reading at this isolation level. */
    private static KafkaConsumer<byte[], byte[]> consumer(LocalStack stack, String isolation) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(
                properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(
            KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(topic, info.partition()))
                .toList();
    }

    /** Where a consumer at this isolation level ends, by partition. */
    private static Map<TopicPartition, Long> endOffsets(
            LocalStack stack, String topic, String isolation) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(stack, isolation)) {
            return consumer.endOffsets(partitions(consumer, topic));
        }
    }

    /** Every record of the topic up to its end at this isolation level. */
    private static List<ConsumerRecord<byte[], byte[]>> read(
            LocalStack stack, String topic, String isolation) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(stack, isolation)) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.currentTimeMillis()).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }
}
