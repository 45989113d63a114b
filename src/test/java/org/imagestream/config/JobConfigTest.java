package org.imagestream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;

class JobConfigTest {
    @Test
    void shouldParseOptionsAndPassKafkaPropertiesThrough() {
        JobConfig config =
                JobConfig.fromArgs(
                        new String[] {
                            "--kafka.topics", "a;b", "--model.medical.dir", "/models/medical/3",
                            "--kafka.properties.security.protocol", "SSL", "--routing.shards", "16"
                        });
        assertThat(config.topics()).containsExactly("a", "b");
        assertThat(config.shards()).isEqualTo(16);
        assertThat(config.modelDirectories())
                .containsExactly(Map.entry(Domain.MEDICAL, "/models/medical/3"));
        assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SSL");
        assertThat(config.groupId()).isEqualTo("imagestream");
    }

    @Test
    void shouldRejectUnknownOptionsInsteadOfIgnoringThem() {
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of("kafka.topic", "x", "model.social.dir", "/m")))
                .hasMessageContaining("Unknown option 'kafka.topic'");
    }

    /** The job reads committed records only: an aborted replay's records are not input. */
    @Test
    void shouldRefuseAnyIsolationLevelButReadCommitted() {
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir",
                                                "/m",
                                                "kafka.properties.isolation.level",
                                                "read_uncommitted")))
                .hasMessageContaining("isolation.level must be read_committed");
        assertThat(
                        JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir",
                                                "/m",
                                                "kafka.properties.isolation.level",
                                                "read_committed"))
                                .kafkaProperties()
                                .getProperty("isolation.level"))
                .isEqualTo("read_committed");
    }

    @Test
    void shouldRefuseTtlsCassandraWouldRefuseOnEveryWrite() {
        // 15-year medical retention expires after 2038-01-19, which Cassandra 5.0 refuses under
        // its default storage_compatibility_mode CASSANDRA_4.
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.medical.dir", "/m",
                                                "cassandra.ttl.medical", "5479d")))
                .hasMessageContaining("cassandra.ttl.medical")
                .hasMessageContaining("2038")
                .hasMessageContaining("cassandra.expiration-past-2038");
        assertThat(
                        JobConfig.fromMap(
                                        Map.of(
                                                "model.medical.dir", "/m",
                                                "cassandra.ttl.medical", "5479d",
                                                "cassandra.expiration-past-2038", "true"))
                                .get(JobOptions.CASSANDRA_TTL_MEDICAL)
                                .toDays())
                .isEqualTo(5479);
        // Over Cassandra's 20-year maximum (630720000 s): refused in any mode.
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir", "/m",
                                                "cassandra.ttl.social", "7301d",
                                                "cassandra.expiration-past-2038", "true")))
                .hasMessageContaining("cassandra.ttl.social")
                .hasMessageContaining("630720000");
        assertThat(
                        JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir", "/m",
                                                "cassandra.ttl.social", "1825d"))
                                .get(JobOptions.CASSANDRA_TTL_SOCIAL)
                                .toDays())
                .isEqualTo(1825);
        // Blobs live the row TTL plus the dedup window: 7300 d alone is allowed, 7300 d + 2 d
        // of dedup window is over the maximum.
        assertThat(
                        JobConfig.fromMap(
                                Map.of(
                                        "model.social.dir", "/m",
                                        "cassandra.ttl.social", "7300d",
                                        "routing.dedup-ttl", "0 s",
                                        "cassandra.expiration-past-2038", "true")))
                .isNotNull();
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir", "/m",
                                                "cassandra.ttl.social", "7300d",
                                                "routing.dedup-ttl", "2d",
                                                "cassandra.expiration-past-2038", "true")))
                .hasMessageContaining("routing.dedup-ttl");
    }

    @Test
    void shouldRequireAtLeastOneModel() {
        assertThatThrownBy(() -> JobConfig.fromMap(Map.of()))
                .hasMessageContaining("No model configured");
    }

    @Test
    void shouldRejectInvalidStartingOffsets() {
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.social.dir",
                                                "/m",
                                                "kafka.starting-offsets",
                                                "middle")))
                .hasMessageContaining("committed, earliest or latest");
    }

    @Test
    void shouldAcceptEveryDeclaredOption() {
        assertThat(JobOptions.ALL).hasSizeGreaterThan(30);
        JobConfig config =
                JobConfig.fromMap(
                        Map.of(
                                "model.social.dir", "/m",
                                "routing.key", "source-id",
                                "routing.dedup-ttl", "10 min",
                                "inference.max-batch-size", "64",
                                "job.max-parallelism", "256",
                                "limits.max-image-bytes", "1000"));
        assertThat(config.routeBySourceId()).isTrue();
        assertThat(config.dedupTtl()).hasMinutes(10);
        assertThat(config.get(JobOptions.INFERENCE_MAX_BATCH_SIZE)).isEqualTo(64);
        assertThat(config.maxParallelism()).isEqualTo(256);
    }

    @Test
    void shouldListEveryOptionInHelp() {
        String help = JobConfig.describeOptions();
        for (var option : JobOptions.ALL) {
            assertThat(help).contains("--" + option.key());
        }
    }
}
