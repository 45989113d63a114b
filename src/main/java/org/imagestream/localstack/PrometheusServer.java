package org.imagestream.localstack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Prometheus (Debian's 2.42 binary, fetched by {@code localstack/tools.sh} or installed on
 * the machine) scraping the given Flink metrics endpoints every 2 s, with its TSDB under the work
 * directory. Used by the cluster command and the deployment ITCase.
 */
public final class PrometheusServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path logFile;

    private PrometheusServer(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /** Finds the binary: the build-fetched copy under the local stack directory, else PATH. */
    public static Path locateBinary(Path localStackDirectory) throws IOException {
        Path fetched = localStackDirectory.resolve("tools/root/usr/bin/prometheus");
        if (Files.isExecutable(fetched)) {
            return fetched;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "prometheus");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IOException(
                "No prometheus binary: run 'mvn generate-resources' on a Debian machine (it fetches"
                        + " Debian's prometheus package into "
                        + fetched
                        + ") or install the 'prometheus' package");
    }

    public static PrometheusServer start(Path binary, Path workDirectory, List<String> targets)
            throws IOException {
        return start(binary, workDirectory, targets, List.of());
    }

    /** As above, evaluating these alerting-rule files (e.g. docker/prometheus/alerts.yml). */
    public static PrometheusServer start(
            Path binary, Path workDirectory, List<String> targets, List<Path> ruleFiles)
            throws IOException {
        Files.createDirectories(workDirectory);
        int port = Ports.free();
        Path config = workDirectory.resolve("prometheus.yml");
        Files.writeString(config, scrapeConfig(targets, ruleFiles));
        Path logFile = workDirectory.resolve("prometheus.log");
        List<String> command =
                new ArrayList<>(
                        List.of(
                                binary.toString(),
                                "--config.file=" + config.toAbsolutePath(),
                                "--storage.tsdb.path="
                                        + workDirectory.resolve("data").toAbsolutePath(),
                                "--web.listen-address=127.0.0.1:" + port,
                                "--log.level=warn"));
        Process process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(logFile.toFile())
                        .start();
        PrometheusServer server = new PrometheusServer(process, port, logFile);
        try {
            server.awaitReady(Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The same job layout as docker/prometheus/prometheus.yml, with this run's targets. */
    static String scrapeConfig(List<String> targets, List<Path> ruleFiles) {
        return "global:\n"
                + "  scrape_interval: 2s\n"
                + "  evaluation_interval: 2s\n"
                + (ruleFiles.isEmpty()
                        ? ""
                        : "rule_files:\n"
                                + ruleFiles.stream()
                                        .map(f -> "  - '" + f.toAbsolutePath() + "'\n")
                                        .collect(Collectors.joining()))
                + "scrape_configs:\n"
                + "  - job_name: flink\n"
                + "    static_configs:\n"
                + "      - targets: ["
                + targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "))
                + "]\n";
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    private void awaitReady(Duration timeout) throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("prometheus exited: " + Files.readString(logFile));
            }
            try {
                HttpResponse<Void> response =
                        http.send(
                                HttpRequest.newBuilder(URI.create(url() + "/-/ready")).build(),
                                HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // retry below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for prometheus", e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for prometheus", e);
            }
        }
        throw new IOException("prometheus not ready within " + timeout);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
