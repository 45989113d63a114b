package org.imagestream.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.localstack.Commands;
import org.imagestream.model.Domain;
import org.imagestream.testing.ProcessCpu;
import org.imagestream.training.ModelStore;
import org.tensorflow.proto.ConfigProto;

/**
 * What two classify subtasks of one TaskManager get from TensorFlow: two sessions of one model,
 * classified on two caller threads at once, against one caller alone, and the CPU per image of one
 * caller and of two callers back to back and of single images 20 a second on each, for several
 * session configurations. TensorFlow's process-wide pools are sized by the first session of a
 * process, so each configuration runs in a JVM of its own (started here, without {@code
 * TF_OVERRIDE_GLOBAL_THREADPOOL} unless named), the configurations interleaved over rounds:
 *
 * <ul>
 *   <li>{@code process-1}: one thread per pool, pools shared by the process (how the job configured
 *       its sessions until session 22);
 *   <li>{@code session-1}: one thread per pool, inter-op pools of each session's own ({@link
 *       SavedModelClassifier#sessionConfig}, the job's default on 2 cores and 2 slots); the
 *       intra-op pool is the process's, of one thread, as in a TaskManager whose sessions all ask
 *       for one;
 *   <li>{@code caller-1}: a session's graph run in the thread that calls it (inter-op threads
 *       negative, which TensorFlow honours only with the process's pools), one intra-op thread;
 *   <li>{@code session-1-after-default}: {@code session-1} in a JVM that opened a session with
 *       TensorFlow's defaults first (as the end-to-end benchmark's compute arms did before its job
 *       until session 30): the later sessions share that session's intra-op pool of a thread per
 *       core;
 *   <li>{@code session-1-after-default-own-pools}: the same with {@code
 *       TF_OVERRIDE_GLOBAL_THREADPOOL=1}, which flink-conf/ gives TaskManagers: each session its
 *       own intra-op pool;
 *   <li>{@code session-1-own-pools}: {@code session-1} with {@code TF_OVERRIDE_GLOBAL_THREADPOOL=1}
 *       and no other session first: a TaskManager as flink-conf/ starts it;
 *   <li>{@code session-1-onednn-off}: the same as {@code session-1} in a JVM started with {@code
 *       TF_ENABLE_ONEDNN_OPTS=0} (oneDNN's kernels are on by default in TF Java 1.1.0 on x86; some
 *       images set the variable to 0 to silence TensorFlow's start-up notice about it);
 *   <li>{@code process-default}: TensorFlow's defaults (pools of a thread per core, shared);
 *   <li>{@code process-default-own-pools}: the same with {@code TF_OVERRIDE_GLOBAL_THREADPOOL=1}:
 *       the end-to-end benchmark's per-record peer, whose sessions have TensorFlow's defaults in a
 *       JVM with the TaskManager's environment.
 * </ul>
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@pools-bench} (the social seed model), or with {@code
 * -Dbench.args="--model DIR --batch 8 --seconds 5 --rounds 2"}; {@code --model inception} is {@link
 * InceptionSizedModel}. {@code --batches 1,13,32} measures each batch size in every round (each
 * configuration in a child JVM per batch size, batch sizes and configurations interleaved), {@code
 * --configurations a,b} only those (the default runs all of them, one batch size of 8). With {@code
 * --paced-hz H} it measures single-image calls paced at H a second instead ({@link #paced}).
 */
public final class TensorflowPoolsBenchmark {
    private static final List<String> CONFIGURATIONS =
            List.of(
                    "process-1",
                    "session-1",
                    "caller-1",
                    "session-1-after-default",
                    "session-1-after-default-own-pools",
                    "session-1-own-pools",
                    "session-1-onednn-off",
                    "process-default",
                    "process-default-own-pools");

    /** Images classified by {@link #imagesPerSecond} and {@link #pacedCalls} in this JVM. */
    private static final AtomicLong IMAGES = new AtomicLong();

    private TensorflowPoolsBenchmark() {}

    public static void main(String[] args) throws Exception {
        String model = null;
        String configuration = null;
        List<String> configurations = CONFIGURATIONS;
        List<Integer> batches = List.of(8);
        double seconds = 5;
        int rounds = 2;
        double pacedHz = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = args[i + 1];
                case "--configuration" -> configuration = args[i + 1];
                case "--configurations" -> configurations = List.of(args[i + 1].split(","));
                case "--batch", "--batches" ->
                        batches =
                                Arrays.stream(args[i + 1].split(","))
                                        .map(Integer::valueOf)
                                        .toList();
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--paced-hz" -> pacedHz = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (model == null) {
            model =
                    ModelStore.ensureSeedModels(Path.of("target/models").toAbsolutePath())
                            .get(Domain.SOCIAL)
                            .directory();
        } else if (model.equals("inception")) {
            // The end-to-end benchmark's, so both measure the same model.
            Path inception = InceptionSizedModel.DIRECTORY.toAbsolutePath();
            InceptionSizedModel.ensure(inception);
            model = inception.getParent().toString();
        }
        if (configuration != null) {
            // A child: one configuration, one batch size.
            if (batches.size() != 1) {
                throw new IllegalArgumentException("--configuration takes one batch size");
            }
            measure(model, configuration, batches.get(0), seconds);
            return;
        }
        if (!CONFIGURATIONS.containsAll(configurations)) {
            // Before any child runs, not minutes in.
            throw new IllegalArgumentException(
                    "unknown configuration in " + configurations + "; known: " + CONFIGURATIONS);
        }
        if (pacedHz > 0) {
            paced(model, pacedHz, seconds, rounds);
            return;
        }
        System.out.printf(
                Locale.ROOT,
                "cores=%d java=%s model=%s batches=%s seconds=%.0f%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                model,
                batches,
                seconds);
        for (int round = 1; round <= rounds; round++) {
            for (int batch : batches) {
                for (String each : configurations) {
                    String label = batches.size() > 1 ? " batch " + batch + " " : " ";
                    System.out.print(
                            "round " + round + label + runChild(model, each, batch, seconds));
                }
            }
        }
    }

    private static String runChild(String model, String configuration, int batch, double seconds)
            throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(
                                Commands.javaLauncher(),
                                "-Xmx512m",
                                "-cp",
                                System.getProperty("java.class.path"),
                                TensorflowPoolsBenchmark.class.getName(),
                                "--model",
                                model,
                                "--configuration",
                                configuration,
                                "--batch",
                                Integer.toString(batch),
                                "--seconds",
                                Double.toString(seconds))
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
        // Every child but the "-onednn-off" one runs with TensorFlow's default, whatever this
        // JVM's environment says.
        builder.environment().remove(SavedModelClassifier.ONEDNN_SWITCH);
        if (configuration.endsWith("-onednn-off")) {
            builder.environment().put(SavedModelClassifier.ONEDNN_SWITCH, "0");
        }
        builder.environment().remove(SavedModelClassifier.OWN_INTRA_OP_POOLS);
        if (configuration.endsWith("-own-pools")) {
            builder.environment().put(SavedModelClassifier.OWN_INTRA_OP_POOLS, "1");
        }
        Process child = builder.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!child.waitFor(10, TimeUnit.MINUTES) || child.exitValue() != 0) {
            throw new IllegalStateException(configuration + " failed:\n" + output);
        }
        StringBuilder result = new StringBuilder();
        for (String line : output.split("\n")) {
            if (line.startsWith(configuration)) {
                result.append(line).append('\n');
            }
        }
        return result.toString();
    }

    /**
     * In the child JVM: one configuration, one caller then two, after a warm-up of each; process
     * CPU per image of each (the JVM's other threads do no work of the benchmark's, but its
     * compilers and collector may still run).
     */
    private static void measure(String model, String configuration, int batch, double seconds)
            throws Exception {
        ModelSpec spec = ModelSpec.load(ModelDirectory.current(Path.of(model)));
        ConfigProto config =
                switch (configuration) {
                    case "process-1" ->
                            ConfigProto.newBuilder()
                                    .setIntraOpParallelismThreads(1)
                                    .setInterOpParallelismThreads(1)
                                    .build();
                    case "session-1",
                                    "session-1-onednn-off",
                                    "session-1-after-default",
                                    "session-1-after-default-own-pools",
                                    "session-1-own-pools" ->
                            SavedModelClassifier.sessionConfig(1);
                    case "caller-1" ->
                            ConfigProto.newBuilder()
                                    .setIntraOpParallelismThreads(1)
                                    .setInterOpParallelismThreads(-1)
                                    .build();
                    case "process-default", "process-default-own-pools" -> null;
                    default -> throw new IllegalArgumentException(configuration);
                };
        if (configuration.contains("-after-default")) {
            // A session with TensorFlow's defaults first, as the end-to-end benchmark's compute
            // arms open before its job: the process's intra-op pool is sized by the first session.
            SavedModelClassifier.open(spec, (ConfigProto) null).close();
        }
        List<float[]> input = InferenceBenchmark.tensors(spec, batch);
        List<float[]> single = input.subList(0, 1);
        try (SavedModelClassifier first = SavedModelClassifier.open(spec, config);
                SavedModelClassifier second = SavedModelClassifier.open(spec, config)) {
            imagesPerSecond(List.of(first, second), input, Math.min(3, seconds)); // warm-up
            // The one caller's too, so its CPU window holds no start-up work.
            imagesPerSecond(List.of(first), input, Math.min(3, seconds));
            long cpuBefore = ProcessCpu.nanos();
            long imagesBefore = IMAGES.get();
            double one = imagesPerSecond(List.of(first), input, seconds);
            // One caller, as the per-record peer calls its session.
            double oneCpuMillis =
                    (ProcessCpu.nanos() - cpuBefore) / 1e6 / (IMAGES.get() - imagesBefore);
            cpuBefore = ProcessCpu.nanos();
            imagesBefore = IMAGES.get();
            double two = imagesPerSecond(List.of(first, second), input, seconds);
            double twoCpuMillis =
                    (ProcessCpu.nanos() - cpuBefore) / 1e6 / (IMAGES.get() - imagesBefore);
            // Single images 20 a second on two callers, as the latency runs send them.
            cpuBefore = ProcessCpu.nanos();
            imagesBefore = IMAGES.get();
            pacedCalls(List.of(first, second), single, 20, seconds);
            double pacedCpuMillis =
                    (ProcessCpu.nanos() - cpuBefore) / 1e6 / (IMAGES.get() - imagesBefore);
            System.out.printf(
                    Locale.ROOT,
                    "%s: one caller %.1f img/s (%.1f ms CPU per image), two callers on two sessions"
                            + " %.1f img/s (%.2fx), %.1f ms CPU per image; batch 1 at 20 Hz per"
                            + " caller: %.1f ms CPU per image; %d threads in the JVM%n",
                    configuration,
                    one,
                    oneCpuMillis,
                    two,
                    two / one,
                    twoCpuMillis,
                    pacedCpuMillis,
                    threadCount());
        }
    }

    private static long threadCount() throws java.io.IOException {
        try (var threads = Files.list(Path.of("/proc/self/task"))) {
            return threads.count();
        }
    }

    /** Each session's caller classifies {@code input} {@code hz} times a second. */
    private static void pacedCalls(
            List<SavedModelClassifier> sessions, List<float[]> input, double hz, double seconds)
            throws InterruptedException {
        long start = System.nanoTime();
        onCallerPerSession(
                sessions,
                session -> {
                    for (int call = 0; call < hz * seconds; call++) {
                        long wait = start + (long) (call * 1e9 / hz) - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        session.classify(input);
                        IMAGES.addAndGet(input.size());
                    }
                });
    }

    /** Images per second of all callers together, each classifying its own session's batches. */
    private static double imagesPerSecond(
            List<SavedModelClassifier> sessions, List<float[]> input, double seconds)
            throws InterruptedException {
        AtomicLong images = new AtomicLong();
        long[] window = new long[2];
        // The window opens when every caller is ready.
        CyclicBarrier start =
                new CyclicBarrier(
                        sessions.size(),
                        () -> {
                            window[0] = System.nanoTime();
                            window[1] = window[0] + (long) (seconds * 1e9);
                        });
        onCallerPerSession(
                sessions,
                session -> {
                    start.await();
                    while (System.nanoTime() < window[1]) {
                        session.classify(input);
                        images.addAndGet(input.size());
                        IMAGES.addAndGet(input.size());
                    }
                });
        return images.get() / ((System.nanoTime() - window[0]) / 1e9);
    }

    /** What one caller thread does with its session. */
    private interface CallerLoop {
        void run(SavedModelClassifier session) throws Exception;
    }

    /** Runs {@code loop} on a thread of its own for each session, and waits for all of them. */
    private static void onCallerPerSession(List<SavedModelClassifier> sessions, CallerLoop loop)
            throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        for (SavedModelClassifier session : sessions) {
            Thread caller =
                    new Thread(
                            () -> {
                                try {
                                    loop.run(session);
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            caller.start();
            callers.add(caller);
        }
        for (Thread caller : callers) {
            caller.join();
        }
    }

    /**
     * {@code --paced-hz H}: what a single-image call costs in CPU when calls come one at a time (as
     * in the end-to-end latency runs) instead of back to back, with TensorFlow's pool threads
     * spinning while they wait for work (its default) and without ({@code
     * disable_thread_spinning}): two sessions of {@link SavedModelClassifier#sessionConfig}, batch
     * 1, in this JVM, arms interleaved over rounds. Process CPU per image (this JVM's other threads
     * are idle), and the median call time.
     */
    private static void paced(String model, double hz, double seconds, int rounds)
            throws Exception {
        ModelSpec spec = ModelSpec.load(ModelDirectory.current(Path.of(model)));
        List<float[]> input = InferenceBenchmark.tensors(spec, 1);
        System.out.printf(
                Locale.ROOT,
                "cores=%d java=%s model=%s paced at %.0f Hz, %.0f s per arm%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                model,
                hz,
                seconds);
        ConfigProto spinning = SavedModelClassifier.sessionConfig(1);
        ConfigProto blocking =
                spinning.toBuilder()
                        .setExperimental(
                                ConfigProto.Experimental.newBuilder()
                                        .setDisableThreadSpinning(true))
                        .build();
        try (SavedModelClassifier spins = SavedModelClassifier.open(spec, spinning);
                SavedModelClassifier blocks = SavedModelClassifier.open(spec, blocking)) {
            imagesPerSecond(List.of(spins), input, 3); // warm-up
            imagesPerSecond(List.of(blocks), input, 3);
            for (int round = 1; round <= rounds; round++) {
                for (SavedModelClassifier session : List.of(spins, blocks)) {
                    String pools = session == spins ? "spinning" : "no spinning";
                    for (String arm : List.of("back-to-back", "paced")) {
                        List<Long> callNanos = new ArrayList<>();
                        long cpuBefore = ProcessCpu.nanos();
                        long start = System.nanoTime();
                        long end = start + (long) (seconds * 1e9);
                        for (int call = 0; System.nanoTime() < end; call++) {
                            if (!arm.equals("back-to-back")) {
                                long due = start + (long) (call * 1e9 / hz);
                                long wait = due - System.nanoTime();
                                if (wait > 0) {
                                    TimeUnit.NANOSECONDS.sleep(wait);
                                }
                            }
                            long called = System.nanoTime();
                            session.classify(input);
                            callNanos.add(System.nanoTime() - called);
                        }
                        double cpuMillis = (ProcessCpu.nanos() - cpuBefore) / 1e6;
                        java.util.Collections.sort(callNanos);
                        System.out.printf(
                                Locale.ROOT,
                                "round %d %s, %s: %d calls, %.1f ms CPU per image, median call"
                                        + " %.1f ms%n",
                                round,
                                pools,
                                arm,
                                callNanos.size(),
                                cpuMillis / callNanos.size(),
                                callNanos.get(callNanos.size() / 2) / 1e6);
                    }
                }
            }
        }
    }
}
