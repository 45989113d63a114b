package org.imagestream.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.ResourceManagerOptions;
import org.apache.flink.util.FileUtils;

/**
 * A real standalone Flink session cluster: one JobManager and one or more TaskManagers, each its
 * own JVM, started from the Maven-resolved {@code flink/lib} (see {@code localstack/flink/pom.xml})
 * with a Flink config directory such as the project's {@code flink-conf/}. Host-specific values
 * (ports, checkpoint and savepoint directories) are passed as {@code -D} dynamic properties, so the
 * config file is used unchanged. JVM memory flags come from Flink's own {@code BashJavaUtils},
 * exactly as {@code jobmanager.sh}/{@code taskmanager.sh} compute them.
 */
public final class FlinkClusterServer implements AutoCloseable {
    private static final String JOB_MANAGER_MAIN =
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER_MAIN =
            "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

    private final Path libDirectory;
    private final Path configDirectory;
    private final Path workDirectory;
    private final Map<String, String> dynamicProperties;
    private final int restPort;
    private final int jobManagerMetricsPort;
    private final ServerProcess jobManager;
    private final List<ServerProcess> taskManagers = new ArrayList<>();
    private final List<Integer> taskManagerMetricsPorts = new ArrayList<>();

    private FlinkClusterServer(
            Path libDirectory,
            Path configDirectory,
            Path workDirectory,
            Map<String, String> dynamicProperties,
            int restPort,
            int jobManagerMetricsPort,
            ServerProcess jobManager) {
        this.libDirectory = libDirectory;
        this.configDirectory = configDirectory;
        this.workDirectory = workDirectory;
        this.dynamicProperties = dynamicProperties;
        this.restPort = restPort;
        this.jobManagerMetricsPort = jobManagerMetricsPort;
        this.jobManager = jobManager;
    }

    /**
     * Starts a JobManager and {@code taskManagerCount} TaskManagers and waits until the REST API
     * reports all of them registered. {@code overrides} are extra dynamic properties (for example a
     * smaller {@code taskmanager.memory.process.size} on a test machine).
     */
    public static FlinkClusterServer start(
            Path libDirectory,
            Path configDirectory,
            Path workDirectory,
            int taskManagerCount,
            Map<String, String> overrides)
            throws IOException {
        // Child processes run in the work directory: every path they get must be absolute.
        libDirectory = libDirectory.toAbsolutePath();
        configDirectory = configDirectory.toAbsolutePath();
        workDirectory = workDirectory.toAbsolutePath();
        // A cluster always starts empty, like the local stack whose Kafka offsets its
        // checkpoints and savepoints would refer to.
        for (String stale : List.of("checkpoints", "savepoints", "tmp", "uploads")) {
            FileUtils.deleteDirectory(workDirectory.resolve(stale).toFile());
        }
        Files.createDirectories(workDirectory);
        int restPort = Ports.free();
        int jobManagerMetricsPort = Ports.free();
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("jobmanager.rpc.address", "127.0.0.1");
        properties.put("jobmanager.rpc.port", String.valueOf(Ports.free()));
        properties.put("jobmanager.bind-host", "127.0.0.1");
        properties.put("taskmanager.bind-host", "127.0.0.1");
        properties.put("taskmanager.host", "127.0.0.1");
        properties.put("rest.port", String.valueOf(restPort));
        properties.put("rest.address", "127.0.0.1");
        properties.put("rest.bind-address", "127.0.0.1");
        // flink-conf/ disables jar upload for production; this loopback-only cluster submits the
        // job jar over REST.
        properties.put("web.submit.enable", "true");
        properties.put(
                "execution.checkpointing.dir",
                workDirectory.resolve("checkpoints").toAbsolutePath().toUri().toString());
        properties.put(
                "execution.checkpointing.savepoint-dir",
                workDirectory.resolve("savepoints").toAbsolutePath().toUri().toString());
        properties.put("io.tmp.dirs", workDirectory.resolve("tmp").toAbsolutePath().toString());
        properties.put(
                "web.upload.dir", workDirectory.resolve("uploads").toAbsolutePath().toString());
        properties.putAll(overrides);
        Files.createDirectories(workDirectory.resolve("tmp"));
        Files.createDirectories(workDirectory.resolve("uploads"));

        Map<String, String> jobManagerProperties = new LinkedHashMap<>(properties);
        jobManagerProperties.put(
                "metrics.reporter.prom.port", String.valueOf(jobManagerMetricsPort));
        ServerProcess jobManager =
                startProcess(
                        "jobmanager",
                        "GET_JM_RESOURCE_PARAMS",
                        JOB_MANAGER_MAIN,
                        libDirectory,
                        configDirectory,
                        workDirectory,
                        jobManagerProperties);
        FlinkClusterServer cluster =
                new FlinkClusterServer(
                        libDirectory,
                        configDirectory,
                        workDirectory,
                        properties,
                        restPort,
                        jobManagerMetricsPort,
                        jobManager);
        try {
            for (int i = 0; i < taskManagerCount; i++) {
                cluster.addTaskManager();
            }
            cluster.awaitTaskManagers(taskManagerCount, Duration.ofSeconds(120));
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Starts one more TaskManager (e.g. to replace a killed one); returns its index. */
    public synchronized int addTaskManager() throws IOException {
        int index = taskManagers.size();
        int metricsPort = Ports.free();
        Map<String, String> properties = new LinkedHashMap<>(dynamicProperties);
        properties.put("metrics.reporter.prom.port", String.valueOf(metricsPort));
        properties.put("taskmanager.resource-id", "taskmanager-" + index);
        taskManagers.add(
                startProcess(
                        "taskmanager-" + index,
                        "GET_TM_RESOURCE_PARAMS",
                        TASK_MANAGER_MAIN,
                        libDirectory,
                        configDirectory,
                        workDirectory,
                        properties));
        taskManagerMetricsPorts.add(metricsPort);
        return index;
    }

    /** {@code kill -9} of a TaskManager: no shutdown, no deregistration, like a lost machine. */
    public void killTaskManager(int index) throws InterruptedException {
        ServerProcess taskManager = taskManagers.get(index);
        ProcessHandle.of(taskManager.pid()).ifPresent(ProcessHandle::destroyForcibly);
        while (taskManager.isAlive()) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    /** Whether a TaskManager process is still running (not killed, crashed or exited). */
    public boolean taskManagerAlive(int index) {
        return taskManagers.get(index).isAlive();
    }

    public String restUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    /** Prometheus scrape targets ({@code host:port}) of the JobManager and every TaskManager. */
    public List<String> metricsTargets() {
        List<String> targets = new ArrayList<>();
        targets.add("127.0.0.1:" + jobManagerMetricsPort);
        for (int port : taskManagerMetricsPorts) {
            targets.add("127.0.0.1:" + port);
        }
        return targets;
    }

    public Path workDirectory() {
        return workDirectory;
    }

    public String logTail(int lines) {
        StringBuilder out =
                new StringBuilder("--- jobmanager ---\n").append(jobManager.tail(lines));
        for (int i = 0; i < taskManagers.size(); i++) {
            out.append("\n--- taskmanager-")
                    .append(i)
                    .append(" ---\n")
                    .append(taskManagers.get(i).tail(lines));
        }
        return out.toString();
    }

    /** All log files (JobManager and TaskManagers), for tests that grep what the cluster logged. */
    public List<Path> logFiles() {
        List<Path> files = new ArrayList<>();
        files.add(jobManager.logFile());
        taskManagers.forEach(t -> files.add(t.logFile()));
        return files;
    }

    private void awaitTaskManagers(int count, Duration timeout) throws IOException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!jobManager.isAlive()) {
                throw new IOException("JobManager exited:\n" + jobManager.tail(40));
            }
            try {
                last =
                        http.send(
                                        HttpRequest.newBuilder(URI.create(restUrl() + "/overview"))
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body();
                if (last.contains("\"taskmanagers\":" + count + ",")) {
                    return;
                }
            } catch (IOException notYetListening) {
                // The REST endpoint opens a few seconds after the JVM starts.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the Flink cluster", e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the Flink cluster", e);
            }
        }
        throw new IOException(
                "Flink cluster did not report "
                        + count
                        + " TaskManager(s) within "
                        + timeout.toSeconds()
                        + " s (last /overview: "
                        + last
                        + ")\n"
                        + logTail(40));
    }

    private static ServerProcess startProcess(
            String name,
            String resourceCommand,
            String mainClass,
            Path libDirectory,
            Path configDirectory,
            Path workDirectory,
            Map<String, String> properties)
            throws IOException {
        List<String> dynamic = new ArrayList<>();
        properties.forEach((key, value) -> dynamic.addAll(List.of("-D", key + "=" + value)));
        ResourceParameters resources =
                ResourceParameters.compute(
                        libDirectory, configDirectory, resourceCommand, dynamic, workDirectory);
        ProcessSettings settings = processSettings(name, configDirectory, properties);
        List<String> jvm = new ArrayList<>(resources.jvmOptions);
        jvm.addAll(settings.jvmOptions());
        Path logFile = workDirectory.resolve(name + ".log").toAbsolutePath();
        jvm.add("-Dlog.file=" + logFile);
        jvm.add(
                "-Dlog4j.configurationFile="
                        + configDirectory.resolve("log4j-console.properties").toAbsolutePath());
        List<String> args = new ArrayList<>(List.of("--configDir", configDirectory.toString()));
        args.addAll(dynamic);
        // TaskManagers also need the memory settings BashJavaUtils derived (as taskmanager.sh
        // does).
        args.addAll(resources.dynamicProperties);
        return ServerProcess.start(
                name, libDirectory, workDirectory, jvm, mainClass, args, settings.environment());
    }

    /** The JVM options (beyond the memory flags) and environment variables of one process. */
    record ProcessSettings(List<String> jvmOptions, Map<String, String> environment) {}

    /**
     * What the process {@code name} ({@code jobmanager} or a TaskManager) runs with: its JVM
     * options and environment from flink-conf/ with its dynamic properties over it, so they come
     * from the same settings as its Flink options (an override of {@code
     * containerized.taskmanager.env.NAME} reaches the TaskManagers, and only them). Flink's own
     * standalone scripts read the JVM options from the file alone; no caller here overrides them.
     */
    static ProcessSettings processSettings(
            String name, Path configDirectory, Map<String, String> properties) {
        Configuration configuration =
                GlobalConfiguration.loadConfiguration(
                        configDirectory.toString(), Configuration.fromMap(properties));
        boolean taskManager = !name.equals("jobmanager");
        List<String> jvm =
                new ArrayList<>(splitOptions(configuration.get(CoreOptions.FLINK_JVM_OPTIONS)));
        jvm.addAll(
                taskManager
                        ? taskManagerJvmOptions(configuration)
                        : splitOptions(configuration.get(CoreOptions.FLINK_JM_JVM_OPTIONS)));
        Map<String, String> environment = new LinkedHashMap<>();
        // Keeps TensorFlow's native INFO lines out of the logs.
        environment.put("TF_CPP_MIN_LOG_LEVEL", "2");
        if (taskManager) {
            environment.putAll(taskManagerEnvironment(configuration));
        }
        return new ProcessSettings(List.copyOf(jvm), environment);
    }

    /**
     * A TaskManager's environment variables from a Flink configuration ({@code
     * containerized.taskmanager.env.NAME: value}, the key Flink's YARN and Kubernetes deployments
     * read; Flink's standalone scripts do not, the TaskManagers started here do): what a JVM
     * standing in for a TaskManager (the end-to-end benchmark) must run with too.
     */
    public static Map<String, String> taskManagerEnvironment(Configuration configuration) {
        return ConfigurationUtils.getPrefixedKeyValuePairs(
                ResourceManagerOptions.CONTAINERIZED_TASK_MANAGER_ENV_PREFIX, configuration);
    }

    /**
     * A TaskManager's own JVM options ({@code env.java.opts.taskmanager}), one flag each: what the
     * TaskManagers started here get, and what a JVM standing in for one (a decode probe, the
     * end-to-end benchmark) must run with too.
     */
    public static List<String> taskManagerJvmOptions(Configuration configuration) {
        return splitOptions(configuration.get(CoreOptions.FLINK_TM_JVM_OPTIONS));
    }

    private static List<String> splitOptions(String options) {
        if (options == null || options.isBlank()) {
            return List.of();
        }
        return List.of(options.trim().split("\\s+"));
    }

    @Override
    public void close() {
        for (ServerProcess taskManager : taskManagers) {
            taskManager.stop(Duration.ofSeconds(15));
        }
        jobManager.stop(Duration.ofSeconds(15));
    }

    /** The JVM flags and dynamic properties Flink's start scripts would use for this process. */
    private record ResourceParameters(List<String> jvmOptions, List<String> dynamicProperties) {
        private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

        static ResourceParameters compute(
                Path lib, Path configDirectory, String command, List<String> dynamic, Path work)
                throws IOException {
            List<String> invocation = new ArrayList<>();
            invocation.add(Commands.javaLauncher());
            invocation.addAll(
                    List.of(
                            "-cp",
                            lib.toAbsolutePath() + "/*",
                            "org.apache.flink.runtime.util.bash.BashJavaUtils",
                            command,
                            "--configDir",
                            configDirectory.toString()));
            invocation.addAll(dynamic);
            Process process =
                    new ProcessBuilder(invocation)
                            .directory(work.toFile())
                            .redirectErrorStream(true)
                            .start();
            String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            try {
                if (process.waitFor() != 0) {
                    throw new IOException("BashJavaUtils " + command + " failed:\n" + output);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted computing Flink memory settings", e);
            }
            List<String> results =
                    output.lines()
                            .filter(line -> line.startsWith(RESULT_PREFIX))
                            .map(line -> line.substring(RESULT_PREFIX.length()).trim())
                            .toList();
            if (results.isEmpty()) {
                throw new IOException(
                        "BashJavaUtils " + command + " printed no result:\n" + output);
            }
            List<String> jvmOptions = splitOptions(results.get(0));
            List<String> dynamicProperties =
                    results.size() > 1 ? splitOptions(results.get(1)) : List.of();
            return new ResourceParameters(jvmOptions, dynamicProperties);
        }
    }
}
