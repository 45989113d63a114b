package org.imagestream.job;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.imagestream.config.JobConfig;
import org.imagestream.config.JobOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter producer's transactional ids and timeout, decided and checked before the job
 * starts, because both failures lose dead letters silently later on.
 *
 * <ul>
 *   <li>Two jobs with the same transactional-id prefix fence each other's transactions: the default
 *       prefix is derived from what identifies a job's input (group id, topics, dead-letter topic),
 *       the same on every restart of one job and different for another.
 *   <li>The broker aborts a transaction older than its {@code transaction.timeout.ms}; the dead
 *       letters in it are then gone, while the source offsets move on. A transaction opened after
 *       one checkpoint is committed when a later one completes; with {@code f} tolerated failures
 *       in a row, that is at most {@code (f + 1) x (checkpoint timeout + interval + min pause)}
 *       later (a conservative bound: the next checkpoint starts at most interval, or timeout plus
 *       min pause, after the previous one). The timeout must cover that, and may not exceed the
 *       broker's {@code transaction.max.timeout.ms} (which the broker would refuse at the first
 *       transaction).
 * </ul>
 */
final class DeadLetterTransactions {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterTransactions.class);

    private DeadLetterTransactions() {}

    /** The configured prefix, or one derived from the job's input and dead-letter topic. */
    static String prefix(JobConfig config) {
        return config.getOptional(JobOptions.DEAD_LETTER_TRANSACTIONAL_ID_PREFIX)
                .orElseGet(
                        () ->
                                "imagestream-dl-"
                                        + DigestUtils.sha256Hex(
                                                        String.join(
                                                                        "\n",
                                                                        config.groupId(),
                                                                        String.join(
                                                                                ",",
                                                                                config.topics()),
                                                                        config.deadLetterTopic())
                                                                .getBytes(StandardCharsets.UTF_8))
                                                .substring(0, 16));
    }

    /** The longest a dead-letter transaction can stay open before the job commits it. */
    static Duration longestOpenTransaction(
            Duration checkpointInterval,
            Duration minPause,
            Duration checkpointTimeout,
            int tolerableFailures) {
        return checkpointTimeout
                .plus(checkpointInterval)
                .plus(minPause)
                .multipliedBy(tolerableFailures + 1L);
    }

    /**
     * Checks the transaction timeout against the checkpoint settings and (when known) the broker's
     * maximum; throws {@link IllegalArgumentException} with the arithmetic and the fix.
     */
    static void check(
            Duration transactionTimeout,
            Duration checkpointInterval,
            Duration minPause,
            Duration checkpointTimeout,
            int tolerableFailures,
            Optional<Duration> brokerMaximum) {
        Duration needed =
                longestOpenTransaction(
                        checkpointInterval, minPause, checkpointTimeout, tolerableFailures);
        if (transactionTimeout.compareTo(needed) < 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s (%d s) is shorter than a dead-letter transaction can stay open:"
                                    + " (tolerable failed checkpoints %d + 1) x (checkpoint timeout"
                                    + " %d s + interval %d s + min pause %d s) = %d s. The broker"
                                    + " would abort such a"
                                    + " transaction and its dead letters would be lost. Lower"
                                    + " execution.checkpointing.timeout or"
                                    + " execution.checkpointing.tolerable-failed-checkpoints, or"
                                    + " raise the timeout (and the broker's"
                                    + " transaction.max.timeout.ms).",
                            JobOptions.DEAD_LETTER_TRANSACTION_TIMEOUT.key(),
                            transactionTimeout.toSeconds(),
                            tolerableFailures,
                            checkpointTimeout.toSeconds(),
                            checkpointInterval.toSeconds(),
                            minPause.toSeconds(),
                            needed.toSeconds()));
        }
        if (brokerMaximum.isPresent() && transactionTimeout.compareTo(brokerMaximum.get()) > 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s (%d s) exceeds the broker's transaction.max.timeout.ms (%d s), which"
                                    + " refuses such transactions. Lower the timeout or raise the"
                                    + " broker's maximum.",
                            JobOptions.DEAD_LETTER_TRANSACTION_TIMEOUT.key(),
                            transactionTimeout.toSeconds(),
                            brokerMaximum.get().toSeconds()));
        }
    }

    /**
     * The broker's {@code transaction.max.timeout.ms}, read with the job's Kafka client properties
     * (TLS, SASL); empty, with a warning, when the broker cannot be asked (e.g. no DescribeConfigs
     * permission): the producer then fails at its first transaction if too long.
     */
    static Optional<Duration> brokerMaximum(Properties clientProperties) {
        Properties admin = new Properties();
        admin.putAll(clientProperties);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        try (Admin client = Admin.create(admin)) {
            Node broker =
                    client.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next();
            ConfigResource resource =
                    new ConfigResource(ConfigResource.Type.BROKER, broker.idString());
            Config config =
                    client.describeConfigs(List.of(resource))
                            .all()
                            .get(30, TimeUnit.SECONDS)
                            .get(resource);
            ConfigEntry entry = config.get("transaction.max.timeout.ms");
            if (entry == null || entry.value() == null) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis(Long.parseLong(entry.value())));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn(
                    "Could not read the broker's transaction.max.timeout.ms ({}); the dead-letter"
                            + " transaction timeout is checked against the checkpoint settings"
                            + " only",
                    e.toString());
            return Optional.empty();
        }
    }
}
