package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.imagestream.config.JobConfig;
import org.junit.jupiter.api.Test;

/** The execution settings the job applies to its environment, and which of them flink-conf wins. */
class ImageClassificationJobTest {

    /** An environment as a cluster hands it to the job: built from flink-conf's values. */
    private static StreamExecutionEnvironment environment(Map<String, String> flinkConf) {
        return StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(flinkConf));
    }

    /** The given job options and a model directory (only named: nothing here loads it). */
    private static JobConfig options(Map<String, String> options) {
        Map<String, String> values = new HashMap<>(options);
        values.put("model.social.dir", "models/social");
        return JobConfig.fromMap(values);
    }

    @Test
    void bufferTimeoutDefaultsToTenMillisecondsNotFlinksHundred() {
        StreamExecutionEnvironment env = environment(Map.of());
        assertThat(env.getBufferTimeout()).isEqualTo(100);

        ImageClassificationJob.configureEnvironment(env, options(Map.of()));

        assertThat(env.getBufferTimeout()).isEqualTo(10);
    }

    @Test
    void flinkConfBufferTimeoutWinsOverTheJobDefault() {
        StreamExecutionEnvironment env =
                environment(Map.of("execution.buffer-timeout.interval", "50 ms"));

        ImageClassificationJob.configureEnvironment(env, options(Map.of()));

        assertThat(env.getBufferTimeout()).isEqualTo(50);
    }

    @Test
    void flinkConfDisabledBufferTimeoutWinsOverTheJobDefault() {
        StreamExecutionEnvironment env =
                environment(Map.of("execution.buffer-timeout.enabled", "false"));

        ImageClassificationJob.configureEnvironment(env, options(Map.of()));

        assertThat(env.getBufferTimeout()).isEqualTo(-1);
    }

    @Test
    void jobOptionTurnsOnABufferTimeoutFlinkConfDisabled() {
        StreamExecutionEnvironment env =
                environment(Map.of("execution.buffer-timeout.enabled", "false"));

        ImageClassificationJob.configureEnvironment(
                env, options(Map.of("job.buffer-timeout", "10 ms")));

        assertThat(env.getBufferTimeout()).isEqualTo(10);
    }

    @Test
    void jobOptionBufferTimeoutWinsOverFlinkConf() {
        StreamExecutionEnvironment env =
                environment(Map.of("execution.buffer-timeout.interval", "50 ms"));

        ImageClassificationJob.configureEnvironment(
                env, options(Map.of("job.buffer-timeout", "0 ms")));

        assertThat(env.getBufferTimeout()).isZero();
    }
}
