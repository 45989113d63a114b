package org.imagestream.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The few calls of Flink's REST API that deploying the job needs: upload the shaded job jar, run it
 * (optionally from a savepoint), watch its state, and stop it with a savepoint. Works against any
 * Flink 2.x session cluster whose JobManager has the web submission endpoints enabled ({@code
 * web.submit.enable}, the default).
 */
public final class FlinkRestClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http;

    public FlinkRestClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Uploads a job jar; returns the id the cluster gave it. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "imagestream-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode response =
                send(
                        HttpRequest.newBuilder(URI.create(baseUrl + "/jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String filename = response.path("filename").asText();
        if (!"success".equals(response.path("status").asText()) || filename.isEmpty()) {
            throw new IOException("Jar upload failed: " + response);
        }
        // The id is the stored file's name, without the directory.
        return Path.of(filename).getFileName().toString();
    }

    /**
     * Runs an uploaded jar's main class with {@code programArgs}; {@code savepointPath} (nullable)
     * restores the job from a savepoint or retained checkpoint. Returns the job id.
     */
    public String runJar(String jarId, List<String> programArgs, String savepointPath)
            throws IOException {
        return runJar(jarId, programArgs, savepointPath, Map.of());
    }

    /**
     * As above, with {@code flinkConfiguration}: Flink options for this job only, on top of the
     * cluster's configuration (e.g. {@code state.backend.type}).
     */
    public String runJar(
            String jarId,
            List<String> programArgs,
            String savepointPath,
            Map<String, String> flinkConfiguration)
            throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("programArgsList", programArgs);
        if (!flinkConfiguration.isEmpty()) {
            request.put("flinkConfiguration", flinkConfiguration);
        }
        if (savepointPath != null) {
            request.put("savepointPath", savepointPath);
            request.put("allowNonRestoredState", false);
        }
        JsonNode response = postJson("/jars/" + jarId + "/run", request);
        String jobId = response.path("jobid").asText();
        if (jobId.isEmpty()) {
            throw new IOException("Job submission failed: " + response);
        }
        return jobId;
    }

    /** The job's state as Flink names it: RUNNING, FINISHED, FAILED, CANCELED, ... */
    public String jobState(String jobId) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jobId)).GET())
                .path("state")
                .asText();
    }

    /** Waits until the job and all its tasks run (sources are reading). */
    public void awaitRunning(String jobId, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = send(HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jobId)).GET());
            String state = job.path("state").asText();
            if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
                throw new IOException(
                        "Job " + jobId + " ended as " + state + ": " + exceptions(jobId));
            }
            boolean allRunning = state.equals("RUNNING") && job.path("vertices").size() > 0;
            for (JsonNode vertex : job.path("vertices")) {
                allRunning &= vertex.path("status").asText().equals("RUNNING");
            }
            if (allRunning) {
                return;
            }
            sleep(250);
        }
        throw new IOException("Job " + jobId + " not running within " + timeout + ": " + job);
    }

    /** The root exception of a failed or restarting job, for error messages. */
    public String exceptions(String jobId) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jobId + "/exceptions"))
                        .GET())
                .path("rootException")
                .asText("");
    }

    /**
     * Stops the job with a savepoint (sources stop, a final savepoint is taken, the job ends as
     * FINISHED) and returns the savepoint's path once the job has FINISHED; {@code targetDirectory}
     * null means the cluster's {@code execution.checkpointing.savepoint-dir}. (The savepoint
     * operation can report its result before the job's state reads FINISHED: seen here 0.8 s apart,
     * while the tasks were still closing.)
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
            throws IOException {
        long started = System.nanoTime();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("drain", false);
        if (targetDirectory != null) {
            request.put("targetDirectory", targetDirectory);
        }
        JsonNode trigger = postJson("/jobs/" + jobId + "/stop", request);
        String requestId = trigger.path("request-id").asText();
        if (requestId.isEmpty()) {
            throw new IOException("Stop-with-savepoint was not accepted: " + trigger);
        }
        String location =
                awaitOperation(
                                "/jobs/" + jobId + "/savepoints/" + requestId,
                                "Stop-with-savepoint",
                                timeout)
                        .path("location")
                        .asText();
        Duration left = timeout.minusNanos(System.nanoTime() - started);
        awaitState(jobId, "FINISHED", left.isNegative() ? Duration.ZERO : left);
        return location;
    }

    /**
     * Triggers a checkpoint now (the job's configured type) and waits until it completes; returns
     * its id. Lets a drill place a failure at a known distance from the last checkpoint instead of
     * racing the checkpoint interval.
     */
    public long triggerCheckpoint(String jobId, Duration timeout) throws IOException {
        JsonNode trigger =
                postJson("/jobs/" + jobId + "/checkpoints", Map.of("checkpointType", "CONFIGURED"));
        String requestId = trigger.path("request-id").asText();
        if (requestId.isEmpty()) {
            throw new IOException("Checkpoint trigger was not accepted: " + trigger);
        }
        return awaitOperation("/jobs/" + jobId + "/checkpoints/" + requestId, "Checkpoint", timeout)
                .path("checkpointId")
                .asLong();
    }

    /** Polls an asynchronous operation's status until COMPLETED; returns its operation result. */
    private JsonNode awaitOperation(String statusPath, String what, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get(statusPath);
            if (status.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode operation = status.path("operation");
                if (operation.has("failure-cause")) {
                    throw new IOException(
                            what
                                    + " failed: "
                                    + operation.path("failure-cause").path("stack-trace").asText());
                }
                return operation;
            }
            sleep(250);
        }
        throw new IOException(what + " did not complete within " + timeout);
    }

    /** Cancels the job (no savepoint). */
    public void cancel(String jobId) throws IOException {
        send(
                HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /** Waits until the job reaches {@code state} (e.g. CANCELED after {@link #cancel}). */
    public void awaitState(String jobId, String state, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String current = jobState(jobId); // looked at once even when no time is left
        while (!current.equals(state) && System.nanoTime() < deadline) {
            sleep(250);
            current = jobState(jobId);
        }
        if (current.equals(state)) {
            return;
        }
        throw new IOException(
                "Job " + jobId + " is " + current + ", not " + state + " within " + timeout);
    }

    /**
     * The path of the job's latest completed checkpoint (retained on cancellation by the reference
     * configuration, so a job can be restored from it), or empty if none completed yet.
     */
    public java.util.Optional<String> latestCheckpoint(String jobId) throws IOException {
        String path =
                get("/jobs/" + jobId + "/checkpoints")
                        .path("latest")
                        .path("completed")
                        .path("external_path")
                        .asText("");
        return path.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(path);
    }

    /** The id of the job's latest completed checkpoint, or empty if none completed yet. */
    public java.util.OptionalLong latestCheckpointId(String jobId) throws IOException {
        JsonNode completed =
                get("/jobs/" + jobId + "/checkpoints").path("latest").path("completed");
        return completed.hasNonNull("id")
                ? java.util.OptionalLong.of(completed.path("id").asLong())
                : java.util.OptionalLong.empty();
    }

    /** The merged configuration of the running job, as the web UI shows it. */
    public JsonNode jobConfig(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/config");
    }

    /** Any GET endpoint of the REST API (path from the root, e.g. {@code /jobmanager/config}). */
    public JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    }

    private JsonNode postJson(String path, Map<String, Object> body) throws IOException {
        return send(
                HttpRequest.newBuilder(URI.create(baseUrl + path))
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofByteArray(
                                        JSON.writeValueAsBytes(body))));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException {
        HttpResponse<String> response;
        try {
            response =
                    http.send(
                            request.timeout(Duration.ofSeconds(60)).build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted calling the Flink REST API", e);
        }
        if (response.statusCode() >= 300) {
            throw new IOException(
                    "Flink REST "
                            + response.request().method()
                            + " "
                            + response.request().uri()
                            + " answered "
                            + response.statusCode()
                            + ": "
                            + response.body());
        }
        String body = response.body();
        return body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    }

    private static void sleep(long millis) throws IOException {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
