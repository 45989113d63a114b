package org.imagestream.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkClusterServerTest {
    /**
     * A process of the local cluster runs with its dynamic properties over flink-conf/, so its
     * environment and JVM options must come from both: an override of a TaskManager environment
     * variable replaces the file's value, a new one is added, and one the override leaves alone
     * stays.
     */
    @Test
    void shouldDeriveTheTaskManagersEnvironmentAndJvmOptionsFromTheOverridesToo(
            @TempDir Path configDirectory) throws Exception {
        Files.writeString(
                configDirectory.resolve("config.yaml"),
                String.join(
                        "\n",
                        "containerized.taskmanager.env.KEPT: \"from-file\"",
                        "containerized.taskmanager.env.REPLACED: \"from-file\"",
                        "env.java.opts.taskmanager: -XX:+UseSerialGC",
                        ""));
        Configuration fileOnly =
                FlinkClusterServer.effectiveConfiguration(configDirectory, Map.of());
        assertThat(FlinkClusterServer.taskManagerEnvironment(fileOnly))
                .isEqualTo(Map.of("KEPT", "from-file", "REPLACED", "from-file"));

        Configuration effective =
                FlinkClusterServer.effectiveConfiguration(
                        configDirectory,
                        Map.of(
                                "containerized.taskmanager.env.REPLACED", "override",
                                "containerized.taskmanager.env.ADDED", "override",
                                "env.java.opts.taskmanager", "-XX:+UseParallelGC -Xss2m"));
        assertThat(FlinkClusterServer.taskManagerEnvironment(effective))
                .isEqualTo(
                        Map.of("KEPT", "from-file", "REPLACED", "override", "ADDED", "override"));
        assertThat(FlinkClusterServer.taskManagerJvmOptions(effective))
                .isEqualTo(List.of("-XX:+UseParallelGC", "-Xss2m"));
    }
}
