package org.imagestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.imagestream.inference.BatchingClassifyOperator;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.model.Classification;
import org.imagestream.model.DecodedImage;
import org.imagestream.routing.ShardKeySelector;
import org.imagestream.testing.DecodedImages;
import org.imagestream.training.ModelStore;

/**
 * Inference throughput per model: the raw ceiling ({@link SavedModelClassifier#classify} on
 * already-decoded tensors, one batch after another, at batch 1, 8, 32 and 128) and the classify
 * operator alone (max delay 5 ms, max batch 32 and the default 128) in Flink's keyed operator test
 * harness, fed as fast as it accepts images, measured interleaved with the b128 ceiling in
 * half-second slices. All arms run in this JVM on the same tensors.
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@inference-bench} (seed models of all domains), or
 * with {@code -Dbench.args="--model DIR [--model DIR ...] --seconds 15"} (measured seconds per arm)
 * for any SavedModel with a {@code model.json} (a model directory or a model root).
 */
public final class InferenceBenchmark {
    private InferenceBenchmark() {}

    public static void main(String[] args) throws Exception {
        double seconds = 15;
        List<ModelSpec> specs = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" ->
                        specs.add(ModelSpec.load(ModelDirectory.current(Path.of(args[i + 1]))));
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (specs.isEmpty()) {
            specs.addAll(
                    ModelStore.ensureSeedModels(Path.of("target/models").toAbsolutePath())
                            .values());
        }
        System.out.printf(
                "cores=%d java=%s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (ModelSpec spec : specs) {
            Map<Integer, Double> raw = new LinkedHashMap<>();
            try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
                for (int batch : new int[] {1, 8, 32, 128}) {
                    raw.put(
                            batch,
                            rawImagesPerSecond(classifier, spec, batch, Math.min(5, seconds)));
                }
            }
            System.out.printf(
                    "%s %dx%dx%d raw: b1 %.0f, b8 %.0f, b32 %.0f, b128 %.0f img/s%n",
                    spec.name(),
                    spec.height(),
                    spec.width(),
                    spec.channels(),
                    raw.get(1),
                    raw.get(8),
                    raw.get(32),
                    raw.get(128));
            // The machine's speed drifts by +-30% over seconds (2 shared cores), so the ceiling
            // and the operator are measured interleaved: short alternating slices of each,
            // summed, so drift hits both arms equally.
            // The ceiling is the best raw batch size measured in the same interleaving (the
            // sequential sweep above is too noisy to pick it: at 224x224 b8..b128 are within 10%).
            int[] ceilingBatches = {8, 32, 128};
            Arm[] rawArms = {new Arm(), new Arm(), new Arm()};
            Arm operator32 = new Arm();
            Arm operator128 = new Arm();
            try (SavedModelClassifier classifier = SavedModelClassifier.open(spec);
                    OperatorDriver driver32 = new OperatorDriver(spec, 32);
                    OperatorDriver driver128 = new OperatorDriver(spec, 128)) {
                List<float[]> pool = tensors(spec, 128);
                double slice = 0.5;
                int slices = (int) Math.ceil(seconds / slice);
                for (int i = -2; i < slices; i++) { // two warm-up slices per arm
                    boolean measure = i >= 0;
                    for (int arm = 0; arm < ceilingBatches.length; arm++) {
                        int size = ceilingBatches[arm];
                        List<float[]> batch = pool.subList(0, size);
                        rawArms[arm].add(
                                runSlice(
                                        () -> {
                                            classifier.classify(batch);
                                            return size;
                                        },
                                        slice),
                                measure);
                    }
                    operator32.add(runSlice(driver32::push, slice), measure);
                    operator128.add(runSlice(driver128::push, slice), measure);
                }
            }
            int best = 0;
            for (int arm = 1; arm < rawArms.length; arm++) {
                if (rawArms[arm].rate() > rawArms[best].rate()) {
                    best = arm;
                }
            }
            double ceiling = rawArms[best].rate();
            System.out.printf(
                    "  interleaved %.0f s per arm: raw b8 %.0f, b32 %.0f, b128 %.0f img/s -> ceiling"
                            + " b%d; operator (32, 5 ms) %.0f img/s = %.3f; operator (128, 5 ms) %.0f"
                            + " img/s = %.3f of the ceiling%n",
                    operator32.seconds,
                    rawArms[0].rate(),
                    rawArms[1].rate(),
                    rawArms[2].rate(),
                    ceilingBatches[best],
                    operator32.rate(),
                    operator32.rate() / ceiling,
                    operator128.rate(),
                    operator128.rate() / ceiling);
        }
    }

    /** Images and seconds accumulated over the measured slices of one arm. */
    private static final class Arm {
        long images;
        double seconds;

        void add(double[] slice, boolean measure) {
            if (measure) {
                images += (long) slice[0];
                seconds += slice[1];
            }
        }

        double rate() {
            return images / seconds;
        }
    }

    /** Runs {@code step} (returns images done) repeatedly for about {@code seconds}. */
    private static double[] runSlice(java.util.function.IntSupplier step, double seconds) {
        long started = System.nanoTime();
        long end = started + (long) (seconds * 1e9);
        long images = 0;
        while (System.nanoTime() < end) {
            images += step.getAsInt();
        }
        return new double[] {images, (System.nanoTime() - started) / 1e9};
    }

    /** The classify operator in the keyed harness; {@link #push} feeds 128 and counts output. */
    private static final class OperatorDriver implements AutoCloseable {
        private final ModelSpec spec;
        private final List<float[]> pixels;
        private final KeyedOneInputStreamOperatorTestHarness<String, DecodedImage, Classification>
                harness;
        private long sent;

        OperatorDriver(ModelSpec spec, int maxBatch) throws Exception {
            this.spec = spec;
            // A pool of distinct tensors, at most ~64 MB of them (224x224 models are 600 KB each).
            int tensorBytes = spec.height() * spec.width() * spec.channels() * 4;
            this.pixels = tensors(spec, Math.max(8, Math.min(1024, (64 << 20) / tensorBytes)));
            this.harness =
                    new KeyedOneInputStreamOperatorTestHarness<>(
                            new BatchingClassifyOperator(
                                    Map.of(spec.domain(), spec),
                                    Duration.ZERO,
                                    maxBatch,
                                    Duration.ofMillis(5)),
                            new ShardKeySelector(),
                            Types.STRING);
            harness.open();
        }

        /** Feeds 128 images; returns how many results the operator emitted meanwhile. */
        int push() {
            try {
                for (int i = 0; i < 128; i++) {
                    harness.processElement(
                            image(spec, pixels.get((int) (sent % pixels.size())), sent++), 0L);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            int emitted = harness.getOutput().size();
            harness.getOutput().clear();
            return emitted;
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }

    /** {@code count} model inputs of random values (the same ones on every run). */
    static List<float[]> tensors(ModelSpec spec, int count) {
        Random random = new Random(42);
        List<float[]> images = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] pixels = new float[spec.height() * spec.width() * spec.channels()];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = random.nextFloat();
            }
            images.add(pixels);
        }
        return images;
    }

    /** Back-to-back batches for {@code seconds} after a warm-up of the same length / 4. */
    static double rawImagesPerSecond(
            SavedModelClassifier classifier, ModelSpec spec, int batch, double seconds) {
        List<float[]> images = tensors(spec, batch);
        long warmUpEnd = System.nanoTime() + (long) (seconds / 4 * 1e9);
        while (System.nanoTime() < warmUpEnd) {
            classifier.classify(images);
        }
        long started = System.nanoTime();
        long end = started + (long) (seconds * 1e9);
        long done = 0;
        while (System.nanoTime() < end) {
            classifier.classify(images);
            done += batch;
        }
        return done / ((System.nanoTime() - started) / 1e9);
    }

    private static DecodedImage image(ModelSpec spec, float[] pixels, long index) {
        return DecodedImages.of(spec.domain(), pixels, index);
    }
}
