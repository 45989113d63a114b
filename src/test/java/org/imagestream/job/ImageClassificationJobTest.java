package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.imagestream.config.JobConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    /** 0: every record's last buffer is sent at once (Flink flushes after each record). */
    @Test
    void bufferTimeoutDefaultsToZeroNotFlinksHundred() {
        StreamExecutionEnvironment env = environment(Map.of());
        assertThat(env.getBufferTimeout()).isEqualTo(100);

        ImageClassificationJob.configureEnvironment(env, options(Map.of()));

        assertThat(env.getBufferTimeout()).isZero();
    }

    /**
     * Which of flink-conf's buffer timeout and the job option applies.
     *
     * @param flinkConf one flink-conf entry, key=value
     * @param jobOption the job.buffer-timeout option, or null when not given
     * @param expected the timeout in force, -1 for none
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "flink-conf interval wins over the job default, execution.buffer-timeout.interval=50 ms, , 50",
        "flink-conf disabled wins over the job default, execution.buffer-timeout.enabled=false, , -1",
        "job option turns on a timeout flink-conf disabled, execution.buffer-timeout.enabled=false,"
                + " 10 ms, 10",
        "job option wins over the flink-conf interval, execution.buffer-timeout.interval=50 ms,"
                + " 0 ms, 0"
    })
    void bufferTimeoutPrecedence(
            String description, String flinkConf, String jobOption, long expected) {
        String[] entry = flinkConf.split("=", 2);
        StreamExecutionEnvironment env = environment(Map.of(entry[0], entry[1]));

        ImageClassificationJob.configureEnvironment(
                env,
                options(jobOption == null ? Map.of() : Map.of("job.buffer-timeout", jobOption)));

        assertThat(env.getBufferTimeout()).isEqualTo(expected);
    }
}
