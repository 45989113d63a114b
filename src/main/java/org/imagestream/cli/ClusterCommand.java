package org.imagestream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.imagestream.config.JobOptions;
import org.imagestream.config.MedicalSecret;
import org.imagestream.deploy.FlinkRestClient;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.PrometheusServer;
import org.imagestream.model.Domain;
import org.imagestream.training.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cluster}: the job on a real standalone Flink cluster on this machine. {@code up} starts
 * Kafka, Cassandra, a JobManager and TaskManager(s) as separate JVMs with {@code flink-conf/}, and
 * Prometheus scraping them; then uploads the shaded job jar over REST and runs it. {@code stop}
 * stops the job with a savepoint; {@code submit --from-savepoint} resumes it. The endpoints and the
 * job's options are kept in {@code <work-dir>/cluster.properties} for the other subcommands.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Run the job on a real standalone Flink cluster on this machine.",
        subcommands = {
            ClusterCommand.Up.class,
            ClusterCommand.Submit.class,
            ClusterCommand.Stop.class
        })
final class ClusterCommand {
    private static final String STATE_FILE = "cluster.properties";

    static Properties readState(Path workDirectory) throws IOException {
        Path file = workDirectory.resolve(STATE_FILE);
        if (!Files.exists(file)) {
            throw new IOException(
                    "No "
                            + file
                            + ": start the cluster with 'cluster up --work-dir "
                            + workDirectory
                            + "'");
        }
        Properties state = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            state.load(in);
        }
        return state;
    }

    static void writeState(Path workDirectory, Properties state) throws IOException {
        try (OutputStream out = Files.newOutputStream(workDirectory.resolve(STATE_FILE))) {
            state.store(out, "written by 'cluster up'; read by 'cluster submit|stop'");
        }
    }

    static List<String> jobArgs(Properties state) {
        return List.of(state.getProperty("job.args").split("\n"));
    }

    @Command(
            name = "up",
            mixinStandardHelpOptions = true,
            description =
                    "Start Kafka, Cassandra, a Flink JobManager + TaskManager(s) and Prometheus, submit"
                            + " the job jar, and keep everything running until Ctrl-C.")
    static final class Up implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = "target/cluster",
                description =
                        "Server data, logs, checkpoints, savepoints (default: ${DEFAULT-VALUE}).")
        Path workDirectory;

        @Option(
                names = "--flink-conf",
                defaultValue = "flink-conf",
                description = "Flink config directory (default: ${DEFAULT-VALUE}).")
        Path flinkConf;

        @Option(
                names = "--job-jar",
                defaultValue = "target/imagestream-0.1.0-SNAPSHOT-job.jar",
                description = "Shaded job jar from 'mvn package' (default: ${DEFAULT-VALUE}).")
        Path jobJar;

        @Option(
                names = "--taskmanagers",
                defaultValue = "1",
                description = "TaskManager JVMs (default: ${DEFAULT-VALUE}).")
        int taskManagers;

        @Option(
                names = "--taskmanager-memory",
                defaultValue = "1400m",
                description =
                        "taskmanager.memory.process.size for this machine (flink-conf says 2048m;"
                                + " default: ${DEFAULT-VALUE}).")
        String taskManagerMemory;

        @Option(
                names = "--parallelism",
                defaultValue = "2",
                description = "Job parallelism (default: ${DEFAULT-VALUE}).")
        int parallelism;

        @Option(
                names = "--models-dir",
                defaultValue = "target/models",
                description = "Seed models, trained here on first use (default: ${DEFAULT-VALUE}).")
        Path modelsDirectory;

        @Option(
                names = "--alert-rules",
                defaultValue = "docker/prometheus/alerts.yml",
                description =
                        "Alerting rules Prometheus evaluates, if the file exists (default:"
                                + " ${DEFAULT-VALUE}).")
        Path alertRules;

        @Option(names = "--no-submit", description = "Start the cluster only.")
        boolean noSubmit;

        @Override
        public Integer call() throws Exception {
            if (!noSubmit && !Files.exists(jobJar)) {
                System.err.println(
                        jobJar + " not found: build it with 'mvn -B package -DskipTests'");
                return 2;
            }
            Path work = workDirectory.toAbsolutePath();
            Path libs = LocalStack.libRoot();
            Map<Domain, ModelSpec> models =
                    ModelStore.ensureSeedModels(modelsDirectory.toAbsolutePath());
            CountDownLatch stopped = new CountDownLatch(1);
            try (LocalStack stack =
                            LocalStack.builder().workDirectory(work.resolve("localstack")).start();
                    FlinkClusterServer cluster =
                            FlinkClusterServer.start(
                                    libs.resolve("flink/lib"),
                                    flinkConf,
                                    work.resolve("flink"),
                                    taskManagers,
                                    Map.of("taskmanager.memory.process.size", taskManagerMemory));
                    PrometheusServer prometheus =
                            PrometheusServer.start(
                                    PrometheusServer.locateBinary(libs),
                                    work.resolve("prometheus"),
                                    cluster.metricsTargets(),
                                    Files.exists(alertRules) ? List.of(alertRules) : List.of())) {
                // The topics the job reads and writes by default: one declaration, in JobOptions.
                List<String> topics = new ArrayList<>(JobOptions.KAFKA_TOPICS.defaultValue());
                topics.add(JobOptions.DEAD_LETTER_TOPIC.defaultValue());
                stack.createTopics(2, topics.toArray(String[]::new));
                List<String> args =
                        new ArrayList<>(
                                List.of(
                                        "--kafka.bootstrap-servers", stack.bootstrapServers(),
                                        "--cassandra.contact-points", stack.cassandraContactPoint(),
                                        "--job.parallelism", String.valueOf(parallelism)));
                for (Domain domain : Domain.values()) {
                    args.add("--model." + domain.id() + ".dir");
                    args.add(models.get(domain).directory().toString());
                }
                // A random key of this cluster, kept in its work directory (owner-only file);
                // the job reads the file, so the key is never an argument.
                args.add("--" + JobOptions.MEDICAL_UID_SECRET_FILE.key());
                args.add(
                        MedicalSecret.createIfMissing(work.resolve("medical-uid-secret"))
                                .toString());
                Properties state = new Properties();
                state.setProperty("rest", cluster.restUrl());
                state.setProperty("prometheus", prometheus.url());
                state.setProperty("kafka.bootstrap-servers", stack.bootstrapServers());
                state.setProperty("cassandra.contact-points", stack.cassandraContactPoint());
                state.setProperty("job.args", String.join("\n", args));
                state.setProperty("job.jar", jobJar.toAbsolutePath().toString());
                String jobId = null;
                if (!noSubmit) {
                    FlinkRestClient rest = new FlinkRestClient(cluster.restUrl());
                    String jarId = rest.uploadJar(jobJar);
                    jobId = rest.runJar(jarId, args, null);
                    rest.awaitRunning(jobId, Duration.ofSeconds(120));
                    state.setProperty("job.id", jobId);
                }
                writeState(work, state);
                System.out.printf(
                        "Flink REST + web UI  %s%nPrometheus           %s%nKafka                %s%n"
                                + "Cassandra            %s%nMetrics endpoints    %s%n",
                        cluster.restUrl(),
                        prometheus.url(),
                        stack.bootstrapServers(),
                        stack.cassandraContactPoint(),
                        cluster.metricsTargets());
                if (jobId != null) {
                    System.out.printf(
                            "Job %s is running. Publish images with%n  imagestream produce"
                                    + " --bootstrap-servers %s <files or folders>%n"
                                    + "Stop it with a savepoint: imagestream cluster stop --work-dir %s%n",
                            jobId, stack.bootstrapServers(), workDirectory);
                }
                System.out.println("Ctrl-C stops everything.");
                Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
                stopped.await();
            }
            return 0;
        }
    }

    @Command(
            name = "submit",
            mixinStandardHelpOptions = true,
            description =
                    "Submit the job jar to the cluster 'up' started, optionally from a savepoint.")
    static final class Submit implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = "target/cluster",
                description = "The work directory of 'cluster up' (default: ${DEFAULT-VALUE}).")
        Path workDirectory;

        @Option(names = "--from-savepoint", description = "Savepoint path printed by 'stop'.")
        String savepoint;

        @Parameters(description = "Extra job options (--key value ...), after '--'.")
        List<String> extraArgs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Properties state = readState(workDirectory);
            FlinkRestClient rest = new FlinkRestClient(state.getProperty("rest"));
            List<String> args = new ArrayList<>(jobArgs(state));
            args.addAll(extraArgs);
            String jarId = rest.uploadJar(Path.of(state.getProperty("job.jar")));
            String jobId = rest.runJar(jarId, args, savepoint);
            rest.awaitRunning(jobId, Duration.ofSeconds(120));
            state.setProperty("job.id", jobId);
            writeState(workDirectory, state);
            System.out.println(jobId);
            return 0;
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Stop the running job with a savepoint and print the savepoint's path.")
    static final class Stop implements Callable<Integer> {
        @Option(
                names = "--work-dir",
                defaultValue = "target/cluster",
                description = "The work directory of 'cluster up' (default: ${DEFAULT-VALUE}).")
        Path workDirectory;

        @Option(names = "--job", description = "Job id (default: the last one submitted).")
        String jobId;

        @Override
        public Integer call() throws Exception {
            Properties state = readState(workDirectory);
            String job = jobId != null ? jobId : state.getProperty("job.id");
            if (job == null) {
                System.err.println("No job id: pass --job");
                return 2;
            }
            FlinkRestClient rest = new FlinkRestClient(state.getProperty("rest"));
            String savepoint = rest.stopWithSavepoint(job, null, Duration.ofMinutes(5));
            System.out.println(savepoint);
            return 0;
        }
    }
}
