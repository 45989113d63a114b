package org.imagestream.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.util.FileUtils;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.decode.ModelInput;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.Prediction;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;

/**
 * A real pretrained model: nsfwjs 4.4.0's {@code mobilenet_v2_mid} (MIT), fetched from the npm
 * registry with {@code npm pack}, converted by {@link TfjsImporter} and served by {@link
 * SavedModelClassifier}, against the reference: the same package loaded by nsfwjs itself into
 * {@code @tensorflow/tfjs} 4.22.0 under node ({@code src/test/tfjs-reference/reference.mjs}), on
 * the identical input tensors of 11 real photographs (scikit-image's public-domain / CC0 sample
 * images, from Debian's python3-skimage package, fetched by the build). Every score must agree
 * within 1e-5.
 */
class TfjsImportITCase {
    private static final List<String> LABELS =
            List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy");
    private static final int SIZE = 224;

    /** Public domain or CC0 per scikit-image's data documentation. */
    private static final List<String> PHOTOS =
            List.of(
                    "astronaut.png",
                    "camera.png",
                    "chelsea.png",
                    "coffee.png",
                    "rocket.jpg",
                    "retina.jpg",
                    "hubble_deep_field.jpg",
                    "coins.png",
                    "grass.png",
                    "gravel.png",
                    "brick.png");

    @Test
    void importedNsfwjsModelShouldScoreRealPhotosLikeTfjs() throws Exception {
        Path work = Path.of(System.getProperty("imagestream.work.dir", "target/it-work"), "tfjs");
        FileUtils.deleteDirectory(work.toFile());
        Files.createDirectories(work);
        Path reference = work.resolve("reference");
        Files.createDirectories(reference);
        for (String file : List.of("package.json", "reference.mjs")) {
            Files.copy(Path.of("src/test/tfjs-reference", file), reference.resolve(file));
        }
        run(reference, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");
        // The same files the reference loads: nsfwjs as installed from the registry.
        Path tfjsModel = reference.resolve("node_modules/nsfwjs/dist/models/mobilenet_v2_mid");
        assertThat(tfjsModel.resolve("model.min.js")).exists();

        ModelSpec spec =
                TfjsImporter.convert(
                        tfjsModel,
                        work.resolve("models/social/1"),
                        new TfjsImporter.Target(
                                Domain.SOCIAL, "nsfwjs-mobilenet-v2-mid", "4.4.0", LABELS, SIZE));
        ModelSpec loaded = ModelSpec.load(work.resolve("models/social/1"));
        assertThat(loaded.labels()).isEqualTo(LABELS);

        Path photos =
                LocalStack.libRoot()
                        .resolve("tools/root/usr/lib/python3/dist-packages/skimage/data");
        List<float[]> inputs = new ArrayList<>();
        ModelInput input = new ModelInput(SIZE, SIZE, 3);
        for (String photo : PHOTOS) {
            byte[] bytes = Files.readAllBytes(photos.resolve(photo));
            inputs.add(ImageDecoders.decode(Domain.SOCIAL, bytes, input).pixels());
        }
        Path inputsFile = work.resolve("inputs.bin");
        ByteBuffer buffer =
                ByteBuffer.allocate(inputs.size() * SIZE * SIZE * 3 * 4)
                        .order(ByteOrder.LITTLE_ENDIAN);
        for (float[] pixels : inputs) {
            for (float value : pixels) {
                buffer.putFloat(value);
            }
        }
        Files.write(inputsFile, buffer.array());

        List<Prediction> predictions;
        try (SavedModelClassifier classifier = SavedModelClassifier.open(spec)) {
            predictions = classifier.classify(inputs);
        }
        Path outputsFile = work.resolve("outputs.json");
        run(
                reference,
                "node",
                "reference.mjs",
                inputsFile.toAbsolutePath().toString(),
                String.valueOf(inputs.size()),
                String.valueOf(SIZE),
                outputsFile.toAbsolutePath().toString());
        JsonNode outputs = new ObjectMapper().readTree(outputsFile.toFile());
        JsonNode expected = outputs.get("scores");
        assertThat(expected.size()).isEqualTo(PHOTOS.size());

        double maxDifference = 0;
        Map<String, String> topLabels = new HashMap<>();
        for (int i = 0; i < PHOTOS.size(); i++) {
            Prediction prediction = predictions.get(i);
            topLabels.put(PHOTOS.get(i), prediction.labels().get(0));
            assertThat(prediction.labels()).hasSize(LABELS.size());
            for (int k = 0; k < prediction.labels().size(); k++) {
                int label = LABELS.indexOf(prediction.labels().get(k));
                double difference =
                        Math.abs(
                                prediction.scores().get(k) - expected.get(i).get(label).asDouble());
                maxDifference = Math.max(maxDifference, difference);
            }
        }
        System.out.printf(
                "import-tfjs: %d photos, tfjs %s (%s backend), max |score difference| %.2e, top"
                        + " labels %s%n",
                PHOTOS.size(),
                outputs.get("tfjs").asText(),
                outputs.get("backend").asText(),
                maxDifference,
                topLabels);
        assertThat(maxDifference).isLessThanOrEqualTo(1e-5);
        // Sanity beyond agreement: these are harmless photographs, so most must come out Neutral
        // (10 of 11 here; the cat close-up scores as Drawing in tfjs too), and the model must
        // not answer the same for everything.
        assertThat(topLabels.values().stream().filter("Neutral"::equals).count())
                .isGreaterThanOrEqualTo(7);
        assertThat(topLabels.values()).doesNotContain("Porn", "Hentai");
        assertThat(new java.util.HashSet<>(topLabels.values())).hasSizeGreaterThan(1);
    }

    private static void run(Path directory, String... command)
            throws IOException, InterruptedException {
        Process process =
                new ProcessBuilder(command)
                        .directory(directory.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as(
                        "%s exited with %d:%n%s",
                        String.join(" ", command), process.exitValue(), output)
                .isZero();
    }
}
