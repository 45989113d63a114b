package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imagestream.localstack.LocalStack;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus alerting rules of {@code docker/prometheus}: valid ({@code promtool check rules}),
 * each one firing and staying quiet as its unit tests say ({@code promtool test rules}), and loaded
 * by the compose Prometheus. promtool is Debian's (prometheus 2.42, fetched by the build).
 */
class AlertRulesTest {
    private static final Path PROMETHEUS_DIR = Path.of("docker", "prometheus");

    @Test
    void shouldBeValidRules() throws Exception {
        assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS: 10 rules found");
    }

    @Test
    void shouldFireAndStayQuietAsTheirUnitTestsSay() throws Exception {
        assertThat(promtool("test", "rules", "alerts.test.yml")).contains("SUCCESS");
    }

    @Test
    void shouldBeLoadedByTheComposePrometheus() throws Exception {
        assertThat(Files.readString(PROMETHEUS_DIR.resolve("prometheus.yml")))
                .contains("/etc/prometheus/alerts.yml");
        assertThat(Files.readString(Path.of("docker", "docker-compose.yml")))
                .contains("./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
        assertThat(promtool("check", "config", "prometheus.yml"))
                .as("the compose config with its rule file, as Prometheus reads it")
                .contains("SUCCESS");
    }

    private static String promtool(String... args) throws Exception {
        Path promtool =
                LocalStack.libRoot().resolve("tools/root/usr/bin/promtool").toAbsolutePath();
        assertThat(promtool).as("Debian's promtool, fetched by localstack/tools.sh").exists();
        // promtool check config resolves the absolute rule path: give it the file where the
        // compose file mounts it, by checking a copy whose rule path points at the real file.
        List<String> command = new java.util.ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Path workDirectory = PROMETHEUS_DIR;
        if (args[0].equals("check") && args[1].equals("config")) {
            Path copy = Files.createTempDirectory("prometheus-config");
            Files.copy(PROMETHEUS_DIR.resolve("alerts.yml"), copy.resolve("alerts.yml"));
            Files.writeString(
                    copy.resolve("prometheus.yml"),
                    Files.readString(PROMETHEUS_DIR.resolve("prometheus.yml"))
                            .replace("/etc/prometheus/alerts.yml", "alerts.yml"));
            workDirectory = copy;
        }
        Process process =
                new ProcessBuilder(command)
                        .directory(workDirectory.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }
}
