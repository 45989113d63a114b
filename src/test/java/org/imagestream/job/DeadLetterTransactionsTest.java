package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.imagestream.config.JobConfig;
import org.junit.jupiter.api.Test;

class DeadLetterTransactionsTest {
    private static final Duration FIFTEEN_MINUTES = Duration.ofMinutes(15);

    @Test
    void shouldRefuseTheOldFlinkConfWhoseFailedCheckpointsOutlastTheTransaction() {
        // 5 min timeout, 3 tolerated failures, 10 s interval, 2 s pause: 4 x 312 s = 1248 s.
        assertThatThrownBy(
                        () ->
                                DeadLetterTransactions.check(
                                        FIFTEEN_MINUTES,
                                        Duration.ofSeconds(10),
                                        Duration.ofSeconds(2),
                                        Duration.ofMinutes(5),
                                        3,
                                        Optional.of(FIFTEEN_MINUTES)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1248 s")
                .hasMessageContaining("900 s");
    }

    @Test
    void shouldAcceptTheShippedFlinkConf() {
        // flink-conf/config.yaml: 3 min timeout, 3 tolerated, 10 s, 2 s: 4 x 192 s = 768 s.
        assertThatCode(
                        () ->
                                DeadLetterTransactions.check(
                                        FIFTEEN_MINUTES,
                                        Duration.ofSeconds(10),
                                        Duration.ofSeconds(2),
                                        Duration.ofMinutes(3),
                                        3,
                                        Optional.of(FIFTEEN_MINUTES)))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseATimeoutOverTheBrokersMaximum() {
        assertThatThrownBy(
                        () ->
                                DeadLetterTransactions.check(
                                        Duration.ofMinutes(20),
                                        Duration.ofSeconds(10),
                                        Duration.ofSeconds(0),
                                        Duration.ofMinutes(1),
                                        0,
                                        Optional.of(FIFTEEN_MINUTES)))
                .hasMessageContaining("transaction.max.timeout.ms (900 s)");
        assertThatCode(
                        () ->
                                DeadLetterTransactions.check(
                                        Duration.ofMinutes(20),
                                        Duration.ofSeconds(10),
                                        Duration.ofSeconds(0),
                                        Duration.ofMinutes(1),
                                        0,
                                        Optional.empty()))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldGiveEachJobItsOwnStablePrefix() {
        String first = DeadLetterTransactions.prefix(config("images-a", "dl-a", null));
        assertThat(DeadLetterTransactions.prefix(config("images-a", "dl-a", null)))
                .isEqualTo(first)
                .startsWith("imagestream-dl-");
        assertThat(DeadLetterTransactions.prefix(config("images-b", "dl-b", null)))
                .isNotEqualTo(first);
        assertThat(DeadLetterTransactions.prefix(config("images-a", "dl-b", null)))
                .isNotEqualTo(first);
        assertThat(DeadLetterTransactions.prefix(config("images-a", "dl-a", "site-7")))
                .isEqualTo("site-7");
    }

    private static JobConfig config(String topic, String deadLetterTopic, String prefix) {
        Map<String, String> options = new HashMap<>();
        options.put("kafka.topics", topic);
        options.put("kafka.dead-letter-topic", deadLetterTopic);
        options.put("model.social.dir", "/models/social");
        if (prefix != null) {
            options.put("kafka.dead-letter-transactional-id-prefix", prefix);
        }
        return JobConfig.fromMap(options);
    }
}
