package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.imagestream.decode.DecodeException;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.localstack.Commands;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;

/** Runs the real seed SavedModels (trained once per build into target/models). */
class SavedModelClassifierTest {
    /** An environment that turns TensorFlow's oneDNN kernels off is named at the first load. */
    @Test
    void shouldNameAnEnvironmentThatTurnsOneDnnOff() {
        assertThat(SavedModelClassifier.slowEnvironment(Map.of("TF_ENABLE_ONEDNN_OPTS", "0")))
                .contains("TF_ENABLE_ONEDNN_OPTS=0")
                .contains("unset it");
        assertThat(SavedModelClassifier.slowEnvironment(Map.of("TF_ENABLE_ONEDNN_OPTS", "False")))
                .isNotNull();
        assertThat(SavedModelClassifier.slowEnvironment(Map.of("TF_ENABLE_ONEDNN_OPTS", "1")))
                .isNull();
        assertThat(SavedModelClassifier.slowEnvironment(Map.of("PATH", "/usr/bin"))).isNull();
    }

    /** TensorFlow's ReadBoolFromEnvVar: 1 or true in any case; anything else keeps one pool. */
    @Test
    void shouldReadTheOwnIntraOpPoolsSwitchAsTensorFlowDoes() {
        assertThat(
                        SavedModelClassifier.ownIntraOpPools(
                                Map.of("TF_OVERRIDE_GLOBAL_THREADPOOL", "1")))
                .isTrue();
        assertThat(
                        SavedModelClassifier.ownIntraOpPools(
                                Map.of("TF_OVERRIDE_GLOBAL_THREADPOOL", "TRUE")))
                .isTrue();
        assertThat(
                        SavedModelClassifier.ownIntraOpPools(
                                Map.of("TF_OVERRIDE_GLOBAL_THREADPOOL", "0")))
                .isFalse();
        assertThat(SavedModelClassifier.ownIntraOpPools(Map.of("PATH", "/usr/bin"))).isFalse();
    }

    @Test
    void shouldClassifyFreshSamplesOfEveryDomainFarAboveChance() throws Exception {
        Map<Domain, ModelSpec> specs = ModelStoreAccess.seedModels();
        for (Domain domain : Domain.values()) {
            ModelSpec spec = specs.get(domain);
            try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
                Random random = new Random(99);
                List<float[]> images = new ArrayList<>();
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    SampleImages.Sample sample = SampleImages.generate(domain, i, random);
                    images.add(decode(domain, sample.bytes(), spec));
                    expected.add(sample.label());
                }
                List<Prediction> predictions = classifier.classify(images);
                int correct = 0;
                for (int i = 0; i < predictions.size(); i++) {
                    Prediction prediction = predictions.get(i);
                    assertThat(prediction.labels()).hasSize(spec.topK()).doesNotHaveDuplicates();
                    assertThat(prediction.scores())
                            .isSortedAccordingTo((a, b) -> Float.compare(b, a));
                    if (prediction.labels().get(0).equals(expected.get(i))) {
                        correct++;
                    }
                }
                assertThat(correct).as("%s correct of 24", domain).isGreaterThanOrEqualTo(19);
            }
        }
    }

    @Test
    void shouldGiveTheSameScoresInABatchAsOneByOne() throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
            List<float[]> images = samples(Domain.SOCIAL, spec, 8, 5);
            List<Prediction> batch = classifier.classify(images);
            for (int i = 0; i < images.size(); i++) {
                Prediction single = classifier.classify(List.of(images.get(i))).get(0);
                assertThat(single.labels()).isEqualTo(batch.get(i).labels());
                for (int k = 0; k < single.scores().size(); k++) {
                    assertThat(single.scores().get(k))
                            .isCloseTo(batch.get(i).scores().get(k), within(1e-5f));
                }
            }
        }
    }

    @Test
    void shouldScoreEachPartOfAMultiPartImageAsIfSentAlone() throws Exception {
        // A tiled scene arrives as one array of several model inputs back to back, beside
        // single-input images: each input must land in its own row of the batch tensor.
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
            List<float[]> images = samples(Domain.SOCIAL, spec, 5, 7);
            float[] twoParts = new float[images.get(1).length + images.get(2).length];
            System.arraycopy(images.get(1), 0, twoParts, 0, images.get(1).length);
            System.arraycopy(
                    images.get(2), 0, twoParts, images.get(1).length, images.get(2).length);
            float[] threeParts = new float[3 * images.get(3).length];
            for (int part = 0; part < 3; part++) {
                float[] source = images.get(part == 1 ? 4 : 3);
                System.arraycopy(source, 0, threeParts, part * source.length, source.length);
            }
            List<Prediction> mixed =
                    classifier.classify(List.of(images.get(0), twoParts, threeParts));
            List<float[]> expectedInputs =
                    List.of(
                            images.get(0),
                            images.get(1),
                            images.get(2),
                            images.get(3),
                            images.get(4),
                            images.get(3));
            assertThat(mixed).hasSize(expectedInputs.size());
            for (int i = 0; i < expectedInputs.size(); i++) {
                Prediction alone = classifier.classify(List.of(expectedInputs.get(i))).get(0);
                assertThat(mixed.get(i).labels()).as("input %d", i).isEqualTo(alone.labels());
                for (int k = 0; k < alone.scores().size(); k++) {
                    assertThat(mixed.get(i).scores().get(k))
                            .as("input %d score %d", i, k)
                            .isCloseTo(alone.scores().get(k), within(1e-5f));
                }
            }
        }
    }

    @Test
    void shouldScoreTheSameWithOneThreadPerTensorflowPool() throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.REMOTE_SENSING);
        List<float[]> images = samples(Domain.REMOTE_SENSING, spec, 6, 11);
        try (SavedModelClassifier defaults = SavedModelClassifier.open(spec);
                SavedModelClassifier oneThread = SavedModelClassifier.open(spec, 1)) {
            List<Prediction> expected = defaults.classify(images);
            List<Prediction> actual = oneThread.classify(images);
            for (int i = 0; i < images.size(); i++) {
                assertThat(actual.get(i).labels()).isEqualTo(expected.get(i).labels());
                for (int k = 0; k < expected.get(i).scores().size(); k++) {
                    assertThat(actual.get(i).scores().get(k))
                            .isCloseTo(expected.get(i).scores().get(k), within(1e-5f));
                }
            }
        }
    }

    /**
     * Two classify subtasks of one TaskManager each open their model with the slot's share of the
     * cores (one thread here); their model calls must run side by side on threads of each session's
     * own, not one after another on a pool the process shares. In a JVM of its own ({@link
     * SessionThreadsProbe}), because the first session of a process sizes the shared pool. The
     * figure judged is which threads did the work (the kernel's per-thread CPU time), not how fast:
     * with a shared pool of one thread that thread does all of it however idle the cores.
     */
    @Test
    void shouldRunTheModelCallsOfTwoSessionsOnThreadsOfTheirOwn() throws Exception {
        List<Long> cpuNanos =
                probeThreads(Map.of(), "1", "200").stream().map(ThreadCpu::nanos).toList();
        long total = cpuNanos.stream().mapToLong(Long::longValue).sum();
        long busiest = cpuNanos.stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(total).as("CPU of the new threads, ns %s", cpuNanos).isGreaterThan(500_000_000L);
        assertThat(busiest)
                .as("the busiest new thread's CPU, ns, of %d in all %s", total, cpuNanos)
                .isLessThan(total * 7 / 10);
    }

    /**
     * In a process started with {@link SavedModelClassifier#OWN_INTRA_OP_POOLS} (flink-conf/ sets
     * it for TaskManagers) a session computes on an intra-op pool of its own size, even after a
     * session with TensorFlow's defaults (a thread per core) was opened first; without it, the
     * later sessions compute on that first session's pool. Judged, as above, by which threads did
     * the work: those the two sessions brought (their own pools) or those the first session left
     * behind (its pool). In runs here the sessions' own threads did 98-99.9 % of the CPU time with
     * the switch on and 8-9 % without it, so half is the line. Their size (one thread each, the
     * slot's share here) shows in how the work spreads: two threads do nearly all of it (99 % in
     * runs here, 95 % in one CI run, where scheduling moved 4.8 % to the shared inter-op pool),
     * where pools of a thread per core would split it about evenly over four; 85 % is the line.
     * (That share alone, at 97 %, was this test's criterion until the CI run above.)
     */
    @Test
    void shouldComputeOnPoolsOfTheSessionsOwnSizeInAProcessWithTheSwitchOn() throws Exception {
        assumeThat(Runtime.getRuntime().availableProcessors()).isGreaterThan(1);
        List<ThreadCpu> own =
                probeThreads(
                        Map.of(SavedModelClassifier.OWN_INTRA_OP_POOLS, "1"),
                        "1",
                        "200",
                        "after-defaults");
        List<ThreadCpu> shared = probeThreads(Map.of(), "1", "200", "after-defaults");
        assertThat(shareOnThreadsMadeWithTheSessions(own))
                .as("own pools %s", own)
                .isGreaterThan(0.5);
        assertThat(shareOfTheTwoBusiest(own)).as("own pools %s", own).isGreaterThan(0.85);
        assertThat(shareOnThreadsMadeWithTheSessions(shared))
                .as("shared pool %s", shared)
                .isLessThan(0.5);
    }

    /** The CPU time of one thread the probe reported, and whether it came with the two sessions. */
    private record ThreadCpu(long nanos, boolean madeWithTheSessions) {}

    /** The share of the CPU time done by the two busiest threads. */
    private static double shareOfTheTwoBusiest(List<ThreadCpu> threads) {
        List<Long> sorted =
                threads.stream().map(ThreadCpu::nanos).sorted(Comparator.reverseOrder()).toList();
        long total = sorted.stream().mapToLong(Long::longValue).sum();
        return (double) sorted.stream().limit(2).mapToLong(Long::longValue).sum() / total;
    }

    /** The share of the CPU time done by threads that came with the two sessions. */
    private static double shareOnThreadsMadeWithTheSessions(List<ThreadCpu> threads) {
        long total = threads.stream().mapToLong(ThreadCpu::nanos).sum();
        long theirs =
                threads.stream()
                        .filter(ThreadCpu::madeWithTheSessions)
                        .mapToLong(ThreadCpu::nanos)
                        .sum();
        return (double) theirs / total;
    }

    /**
     * Runs {@link SessionThreadsProbe} with {@code arguments} in a JVM of its own, without {@link
     * SavedModelClassifier#OWN_INTRA_OP_POOLS} unless {@code environment} sets it, and returns the
     * CPU time and origin of each thread it reported.
     */
    private static List<ThreadCpu> probeThreads(
            Map<String, String> environment, String... arguments) throws Exception {
        ModelStoreAccess.seedModels(); // trained here, not inside the probe's JVM
        List<String> command =
                new ArrayList<>(
                        List.of(
                                Commands.javaLauncher(),
                                "-Xmx256m",
                                // The probe reads the models this JVM trained, wherever they are.
                                "-Dimagestream.models.dir="
                                        + System.getProperty(
                                                "imagestream.models.dir", "target/models"),
                                "-cp",
                                System.getProperty(
                                        "surefire.test.class.path",
                                        System.getProperty("java.class.path")),
                                SessionThreadsProbe.class.getName()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(SavedModelClassifier.OWN_INTRA_OP_POOLS);
        builder.environment().putAll(environment);
        Process probe = builder.start();
        String output;
        try {
            output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(probe.waitFor(5, TimeUnit.MINUTES)).as(output).isTrue();
        } finally {
            probe.destroyForcibly(); // a no-op once it exited; never left running
        }
        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output)
                .as("the probe's environment")
                .contains(
                        SavedModelClassifier.OWN_INTRA_OP_POOLS
                                + "="
                                + environment.get(SavedModelClassifier.OWN_INTRA_OP_POOLS));
        // Every probe opens sessions with pools of their own size, so the warning that
        // PoisonPillITCase looks for in a TaskManager's log is logged exactly where the variable
        // is missing.
        if (environment.containsKey(SavedModelClassifier.OWN_INTRA_OP_POOLS)) {
            assertThat(output).doesNotContain(SavedModelClassifier.SHARED_INTRA_OP_POOL_WARNING);
        } else {
            assertThat(output).contains(SavedModelClassifier.SHARED_INTRA_OP_POOL_WARNING);
        }
        List<ThreadCpu> threads = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("thread ")) {
                String[] fields = line.trim().split(" ");
                assertThat(fields[3])
                        .as(line)
                        .isIn(
                                SessionThreadsProbe.MADE_WITH_THE_SESSIONS,
                                SessionThreadsProbe.MADE_BY_THE_DEFAULTS_SESSION);
                threads.add(
                        new ThreadCpu(
                                Long.parseLong(fields[2]),
                                fields[3].equals(SessionThreadsProbe.MADE_WITH_THE_SESSIONS)));
            }
        }
        System.out.println(String.join(" ", arguments) + " " + environment + ": " + threads);
        return threads;
    }

    @Test
    void shouldRejectImagesOfTheWrongSize() throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.MEDICAL);
        try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
            assertThatThrownBy(() -> classifier.classify(List.of(new float[10])))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expects a multiple of 1024");
        }
    }

    @Test
    void shouldDiscoverTensorNamesFromTheSignatureAndRejectSpecsThatDisagreeWithIt()
            throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.MEDICAL);
        assertThat(spec.inputName()).as("seed specs leave names to discovery").isNull();
        try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
            assertThat(classifier.inputName()).isEqualTo("image");
            assertThat(classifier.outputName()).isEqualTo("probabilities");
        }
        assertThatThrownBy(() -> SavedModelClassifier.open(copy(spec).inputName("pixels").build()))
                .hasMessageContaining("has no input 'pixels'")
                .hasMessageContaining("[image]");
        assertThatThrownBy(() -> SavedModelClassifier.open(copy(spec).channels(3).build()))
                .hasMessageContaining("does not match the spec's 32x32x3");
        assertThatThrownBy(
                        () ->
                                SavedModelClassifier.open(
                                        copy(spec).labels(List.of("a", "b", "c")).build()))
                .hasMessageContaining("one score per label");
        assertThatThrownBy(() -> SavedModelClassifier.open(copy(spec).signatureKey("x").build()))
                .hasMessageContaining("no signature 'x'");
    }

    private static ModelSpec.Builder copy(ModelSpec spec) {
        return ModelSpec.builder()
                .domain(spec.domain())
                .directory(spec.directory())
                .name(spec.name())
                .version(spec.version())
                .height(spec.height())
                .width(spec.width())
                .channels(spec.channels())
                .labels(spec.labels());
    }

    /** {@code count} generated sample images of the domain, decoded for the model. */
    private static List<float[]> samples(Domain domain, ModelSpec spec, int count, long seed)
            throws DecodeException {
        Random random = new Random(seed);
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(decode(domain, SampleImages.generate(domain, i, random).bytes(), spec));
        }
        return images;
    }

    private static float[] decode(Domain domain, byte[] bytes, ModelSpec spec)
            throws DecodeException {
        return ImageDecoders.decode(domain, bytes, spec.modelInput()).pixels();
    }
}
