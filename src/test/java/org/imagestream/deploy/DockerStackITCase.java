package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.imagestream.config.JobConfig;
import org.imagestream.config.JobOptions;
import org.imagestream.localstack.CassandraServer;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.testing.ShippedFlinkConf;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The docker stack, checked without a Docker engine: Debian's {@code docker-compose config}
 * (fetched by the build) must accept it, and its settings must agree with {@code flink-conf/}, the
 * job's options, the Prometheus scrape config, the Grafana dashboards and the standalone cluster's
 * class path that the other deployment tests run for real.
 */
class DockerStackITCase {
    private static final Path DOCKER =
            Path.of(System.getProperty("imagestream.docker.dir", "docker"));
    private static final Path FLINK_CONF = ShippedFlinkConf.directory();

    private static Map<String, Object> compose;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void renderCompose() throws Exception {
        CommandResult result = dockerComposeConfig(DOCKER.resolve(".env.example"));
        assertThat(result.exitCode).as("docker-compose config:\n%s", result.output).isZero();
        compose =
                (Map<String, Object>)
                        new Load(LoadSettings.builder().build()).loadFromString(result.output);
    }

    @Test
    void shouldRefuseToRenderWithoutTheGrafanaPassword() throws Exception {
        Path env = Files.createTempFile("imagestream", ".env");
        try {
            Files.writeString(
                    env,
                    Files.readString(DOCKER.resolve(".env.example"))
                            .replaceAll("(?m)^GRAFANA_ADMIN_PASSWORD=.*$", ""));
            CommandResult result = dockerComposeConfig(env);
            assertThat(result.exitCode).isNotZero();
            assertThat(result.output).contains("GRAFANA_ADMIN_PASSWORD");
        } finally {
            Files.delete(env);
        }
    }

    @Test
    void shouldPinEveryImageAndKeepSecretsOutOfTheComposeFile() throws IOException {
        for (Map.Entry<String, Map<String, Object>> service : services().entrySet()) {
            String image = (String) service.getValue().get("image");
            assertThat(image).as("image of %s", service.getKey()).isNotNull().contains(":");
            assertThat(image).as("image of %s", service.getKey()).doesNotEndWith(":latest");
        }
        Matcher secrets =
                Pattern.compile(
                                // A key with a value on its own line (a block key such as
                                // compose's "secrets:" holds no value).
                                "(?im)^[ \\t]*[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*[ \\t]*:[ \\t]*(\\S.*)$")
                        .matcher(Files.readString(DOCKER.resolve("docker-compose.yml")));
        int found = 0;
        while (secrets.find()) {
            found++;
            assertThat(secrets.group(2).trim()).as(secrets.group()).startsWith("${");
        }
        assertThat(found).isPositive();
    }

    /**
     * The compose stack's Cassandra takes the local node's measured memtable settings, spelt as the
     * same system properties; the tests' node shows Cassandra applies them
     * (CassandraBlobStoreITCase reads them back from system_views.settings).
     */
    @Test
    void shouldRunCassandraWithTheLocalNodesMemtableSettings() {
        String options = String.valueOf(environment("cassandra").get("JVM_EXTRA_OPTS"));
        assertThat(List.of(options.trim().split("\\s+")))
                .containsExactlyElementsOf(
                        CassandraServer.settingsAsSystemProperties(
                                CassandraServer.MEMTABLE_SETTINGS));
    }

    /**
     * Flink's official image does not turn {@code containerized.taskmanager.env} into a
     * TaskManager's environment, so the taskmanager service lists flink-conf/'s entries itself
     * (TensorFlow's pools per session, SavedModelClassifier#sessionConfig).
     */
    @Test
    void shouldGiveTheTaskManagersTheEnvironmentFlinkConfDeclares() {
        Map<String, String> declared =
                FlinkClusterServer.taskManagerEnvironment(
                        GlobalConfiguration.loadConfiguration(FLINK_CONF.toString()));
        assertThat(declared).containsKey("TF_OVERRIDE_GLOBAL_THREADPOOL");
        Map<String, Object> taskManager = environment("taskmanager");
        declared.forEach(
                (name, value) ->
                        assertThat(String.valueOf(taskManager.get(name)))
                                .as("taskmanager environment %s", name)
                                .isEqualTo(value));
    }

    /** Whoever reaches the REST API runs code next to the medical data. */
    @Test
    @SuppressWarnings("unchecked")
    void shouldServeTheRestApiOnTheLoopbackOnlyAndRefuseJarUploadsInProduction() {
        Configuration flinkConf = GlobalConfiguration.loadConfiguration(FLINK_CONF.toString());
        assertThat(flinkConf.toMap())
                .containsEntry("rest.bind-address", "127.0.0.1")
                .containsEntry("web.submit.enable", "false");
        List<Object> ports = (List<Object>) services().get("jobmanager").get("ports");
        assertThat(ports)
                .isNotEmpty()
                .allSatisfy(port -> assertThat(String.valueOf(port)).startsWith("127.0.0.1:"));
    }

    @Test
    void shouldSubmitTheJobWithValidOptionsAgainstTopicsAndModelsTheStackCreates() {
        List<String> command = commandOf("job");
        int jar = command.indexOf("/opt/flink/usrlib/imagestream-job.jar");
        assertThat(jar).isPositive();
        List<String> jobArgs = command.subList(jar + 1, command.size());
        // Unknown keys or malformed values fail here, as they would at job start.
        JobConfig config = JobConfig.fromArgs(jobArgs.toArray(String[]::new));
        String topicsInit = String.join(" ", commandOf("kafka-init"));
        for (String topic : config.get(JobOptions.KAFKA_TOPICS)) {
            assertThat(topicsInit).contains(topic);
        }
        assertThat(topicsInit).contains(config.get(JobOptions.DEAD_LETTER_TOPIC));
        String models = String.join(" ", commandOf("init"));
        assertThat(models).contains("train --output /models");
        for (String domain : List.of("social", "remote-sensing", "medical")) {
            assertThat(jobArgs).contains("/models/" + domain + "/1");
        }
        // Kafka must accept the largest image the job accepts.
        Map<String, Object> kafkaEnv = environment("kafka");
        assertThat(Long.parseLong((String) kafkaEnv.get("KAFKA_MESSAGE_MAX_BYTES")))
                .isGreaterThanOrEqualTo(config.get(JobOptions.MAX_IMAGE_BYTES));
        assertThat(topicsInit)
                .contains("max.message.bytes=" + kafkaEnv.get("KAFKA_MESSAGE_MAX_BYTES"));
    }

    /**
     * {@code flink run} executes the job's main() in the job container (it reads every model's
     * model.json and the pseudonym key there), and TaskManagers load the models: each path the
     * job's arguments name must be mounted (a volume or a secret) in both, or the job never starts.
     */
    @Test
    void shouldMountEveryPathTheJobArgumentsNameWhereItIsRead() {
        List<String> command = commandOf("job");
        List<String> jobArgs =
                command.subList(
                        command.indexOf("/opt/flink/usrlib/imagestream-job.jar") + 1,
                        command.size());
        List<String> paths = jobArgs.stream().filter(arg -> arg.startsWith("/")).toList();
        assertThat(paths).isNotEmpty();
        for (String path : paths) {
            assertThat(mountTargets("job"))
                    .as("the job container reads %s", path)
                    .anyMatch(target -> path.equals(target) || path.startsWith(target + "/"));
            if (path.startsWith("/models/")) {
                assertThat(mountTargets("taskmanager"))
                        .as("TaskManagers load %s", path)
                        .anyMatch(target -> path.startsWith(target + "/"));
            }
        }
    }

    /** Where a service's volumes and secrets appear in its container. */
    @SuppressWarnings("unchecked")
    private static List<String> mountTargets(String service) {
        List<String> targets = new ArrayList<>();
        Map<String, Object> definition = services().get(service);
        for (Object volume : (List<Object>) definition.getOrDefault("volumes", List.of())) {
            if (volume instanceof Map<?, ?> map) {
                targets.add(String.valueOf(map.get("target")));
            } else {
                targets.add(String.valueOf(volume).split(":")[1]);
            }
        }
        for (Object secret : (List<Object>) definition.getOrDefault("secrets", List.of())) {
            String name =
                    secret instanceof Map<?, ?> map
                            ? String.valueOf(
                                    map.get("target") != null
                                            ? map.get("target")
                                            : map.get("source"))
                            : String.valueOf(secret);
            targets.add(name.startsWith("/") ? name : "/run/secrets/" + name);
        }
        return targets;
    }

    @Test
    void shouldScrapeThePortFlinkConfOpensAndServeDashboardsFromTheProvisionedDatasource()
            throws IOException {
        Configuration flinkConf = GlobalConfiguration.loadConfiguration(FLINK_CONF.toString());
        String portRange = flinkConf.toMap().get("metrics.reporter.prom.port"); // e.g. 9249-9260
        assertThat(portRange).isNotNull();
        String firstPort = portRange.split("-")[0];
        String scrape = Files.readString(DOCKER.resolve("prometheus/prometheus.yml"));
        assertThat(scrape).contains("'jobmanager:" + firstPort + "'");
        assertThat(scrape).contains("port: " + firstPort);

        String datasource =
                Files.readString(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yml"));
        Matcher uid = Pattern.compile("uid: (\\S+)").matcher(datasource);
        assertThat(uid.find()).isTrue();
        ObjectMapper json = new ObjectMapper();
        List<Path> dashboards;
        try (var files = Files.list(DOCKER.resolve("grafana/dashboards"))) {
            dashboards = files.filter(f -> f.toString().endsWith(".json")).toList();
        }
        assertThat(dashboards).hasSizeGreaterThanOrEqualTo(2);
        for (Path dashboard : dashboards) {
            for (JsonNode panel : json.readTree(dashboard.toFile()).path("panels")) {
                assertThat(panel.path("datasource").path("uid").asText())
                        .as("%s / %s", dashboard.getFileName(), panel.path("title").asText())
                        .isEqualTo(uid.group(1));
            }
        }
        // Grafana mounts exactly the directory the dashboards test evaluates.
        assertThat(volumesOf("grafana"))
                .anyMatch(
                        v ->
                                v.endsWith(
                                        "docker/grafana/dashboards:/var/lib/grafana/dashboards:ro"));
    }

    @Test
    void shouldBuildTheFlinkImageFromTheProjectConfigAndTheSameTensorFlowAsTheTestedCluster()
            throws IOException {
        String dockerfile = Files.readString(DOCKER.resolve("flink/Dockerfile"));
        assertThat(dockerfile).contains("COPY flink-conf/ /opt/flink/conf/");
        String clusterPom = Files.readString(Path.of("localstack/flink/pom.xml"));
        Matcher flinkVersion =
                Pattern.compile("<flink.version>(.+)</flink.version>").matcher(clusterPom);
        Matcher tfVersion =
                Pattern.compile("<tensorflow.version>(.+)</tensorflow.version>")
                        .matcher(clusterPom);
        assertThat(flinkVersion.find()).isTrue();
        assertThat(tfVersion.find()).isTrue();
        assertThat(dockerfile).contains("FROM flink:" + flinkVersion.group(1) + "-java17");
        assertThat(dockerfile)
                .contains("tensorflow-core-native-" + tfVersion.group(1) + "-linux-x86_64.jar");
        // Every jar of the tested cluster's TensorFlow class path is in the image at that version.
        Path lib = LocalStack.libRoot().resolve("flink/lib");
        try (var jars = Files.list(lib)) {
            for (Path jar :
                    jars.filter(
                                    j -> {
                                        String name = j.getFileName().toString();
                                        return name.startsWith("tensorflow-")
                                                || name.startsWith("ndarray-")
                                                || name.startsWith("javacpp-")
                                                || name.startsWith("protobuf-java-");
                                    })
                            .toList()) {
                assertThat(dockerfile).contains("/" + jar.getFileName());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() {
        return (Map<String, Map<String, Object>>) compose.get("services");
    }

    @SuppressWarnings("unchecked")
    private static List<String> commandOf(String service) {
        Object command = services().get(service).get("command");
        assertThat(command).as("command of %s", service).isInstanceOf(List.class);
        return (List<String>) command;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> environment(String service) {
        return (Map<String, Object>) services().get(service).get("environment");
    }

    @SuppressWarnings("unchecked")
    private static List<String> volumesOf(String service) {
        List<String> volumes = new ArrayList<>();
        for (Object volume : (List<Object>) services().get(service).get("volumes")) {
            volumes.add(String.valueOf(volume));
        }
        return volumes;
    }

    private record CommandResult(int exitCode, String output) {}

    /** Debian's docker-compose 1.29 as fetched by localstack/tools.sh, else one on PATH. */
    private static CommandResult dockerComposeConfig(Path envFile) throws Exception {
        Path tools = LocalStack.libRoot().resolve("tools/root");
        List<String> command = new ArrayList<>();
        ProcessBuilder builder = new ProcessBuilder(command);
        Path fetched = tools.resolve("usr/bin/docker-compose");
        if (Files.exists(fetched)) {
            command.addAll(List.of("/usr/bin/python3", fetched.toString()));
            builder.environment()
                    .put("PYTHONPATH", tools.resolve("usr/lib/python3/dist-packages").toString());
        } else {
            command.add("docker-compose");
        }
        command.addAll(
                List.of(
                        "-f",
                        DOCKER.resolve("docker-compose.yml").toString(),
                        "--env-file",
                        envFile.toString(),
                        "config"));
        // stdout is the rendered YAML; warnings and errors go to stderr.
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new CommandResult(
                process.exitValue(), process.exitValue() == 0 ? output : errors + output);
    }
}
