package org.imagestream.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkClusterServerTest {
    /**
     * A process of the local cluster runs with its dynamic properties over flink-conf/, so its
     * environment and JVM options must come from both: an override of a TaskManager environment
     * variable replaces the file's value (written nested, as flink-conf/ writes it), a new one is
     * added, one the override leaves alone stays, and none of them reaches the JobManager.
     */
    @Test
    void shouldStartEachProcessWithTheFileAndItsOverridesTogether(@TempDir Path configDirectory)
            throws Exception {
        Files.writeString(
                configDirectory.resolve("config.yaml"),
                String.join(
                        "\n",
                        "containerized:",
                        "  taskmanager:",
                        "    env:",
                        "      KEPT: \"from-file\"",
                        "      REPLACED: \"from-file\"",
                        "env:",
                        "  java:",
                        "    opts:",
                        "      all: -Dfrom.file.all=1",
                        "      taskmanager: -XX:+UseSerialGC",
                        "      jobmanager: -Dfrom.file.jobmanager=1",
                        ""));
        Map<String, String> overrides =
                Map.of(
                        "containerized.taskmanager.env.REPLACED", "override",
                        "containerized.taskmanager.env.ADDED", "override",
                        "env.java.opts.taskmanager", "-XX:+UseParallelGC -Xss2m");

        FlinkClusterServer.ProcessSettings fileOnly =
                FlinkClusterServer.processSettings("taskmanager-0", configDirectory, Map.of());
        assertThat(fileOnly.environment())
                .containsEntry("KEPT", "from-file")
                .containsEntry("REPLACED", "from-file")
                .doesNotContainKey("ADDED");
        assertThat(fileOnly.jvmOptions()).containsExactly("-Dfrom.file.all=1", "-XX:+UseSerialGC");

        FlinkClusterServer.ProcessSettings taskManager =
                FlinkClusterServer.processSettings("taskmanager-0", configDirectory, overrides);
        assertThat(taskManager.environment())
                .containsEntry("KEPT", "from-file")
                .containsEntry("REPLACED", "override")
                .containsEntry("ADDED", "override");
        assertThat(taskManager.jvmOptions())
                .containsExactly("-Dfrom.file.all=1", "-XX:+UseParallelGC", "-Xss2m");

        FlinkClusterServer.ProcessSettings jobManager =
                FlinkClusterServer.processSettings("jobmanager", configDirectory, overrides);
        assertThat(jobManager.environment()).doesNotContainKeys("KEPT", "REPLACED", "ADDED");
        assertThat(jobManager.jvmOptions())
                .isEqualTo(List.of("-Dfrom.file.all=1", "-Dfrom.file.jobmanager=1"));
    }
}
