package org.imagestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.imagestream.training.SavedModels;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * A benchmark network with GoogLeNet's (Inception v1) compute: ~1.31 G multiply-adds per 224x224
 * image, built and exported as a SavedModel in TF Java. The layers follow Inception v1's stem (7x7
 * stride-2 convolution, 1x1 and 3x3 convolutions, max pools) and replace the inception modules by
 * plain 3x3 convolutions of the same cost; weights are random (He initialisation), so its scores
 * mean nothing: it exists to measure the pipeline with a model this heavy.
 */
public final class InceptionSizedModel {
    private static final int SIZE = 224;
    private static final int CLASSES = 1000;

    /** Where the benchmarks build it once and reuse it: a model version directory. */
    static final Path DIRECTORY = Path.of("target/models/inception-sized/1");

    private InceptionSizedModel() {}

    /** Builds the model into {@code directory} unless it is there already. */
    public static ModelSpec ensure(Path directory) throws IOException {
        if (Files.isRegularFile(directory.resolve(ModelSpec.FILE_NAME))) {
            return ModelSpec.load(directory);
        }
        Files.createDirectories(directory.getParent());
        Path staging = Files.createTempDirectory(directory.getParent(), "inception-");
        Path model = staging.resolve("model");
        long macs;
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Random random = new Random(1);
            Placeholder<TFloat32> image =
                    tf.withName("image")
                            .placeholder(
                                    TFloat32.class, Placeholder.shape(Shape.of(-1, SIZE, SIZE, 3)));
            Layers layers = new Layers(tf, random);
            Operand<TFloat32> x = layers.conv(image, 7, 3, 64, 2); // 112x112x64
            x = layers.maxPool(x); // 56
            x = layers.conv(x, 1, 64, 64, 1);
            x = layers.conv(x, 3, 64, 192, 1);
            x = layers.maxPool(x); // 28
            x = layers.conv(x, 1, 192, 128, 1);
            x = layers.conv(x, 3, 128, 256, 1);
            x = layers.conv(x, 3, 256, 256, 1);
            x = layers.maxPool(x); // 14
            x = layers.conv(x, 3, 256, 256, 1);
            Operand<TFloat32> pooled = tf.math.mean(x, tf.constant(new int[] {1, 2}));
            Operand<TFloat32> logits =
                    tf.linalg.matMul(pooled, layers.weights(Shape.of(256, CLASSES), 256));
            Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(logits);
            macs = layers.macs + 256L * CLASSES;
            try (Session session = new Session(graph)) {
                SavedModels.export(model, session, image, probabilities);
            }
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < CLASSES; i++) {
            labels.add(String.format("class-%03d", i));
        }
        ModelSpec.builder()
                .domain(Domain.SOCIAL)
                .directory(model.toAbsolutePath().toString())
                .name("inception-sized-random")
                .version("1")
                .height(SIZE)
                .width(SIZE)
                .channels(3)
                .labels(labels)
                .topK(5)
                .build()
                .store(model);
        Files.move(model, directory);
        Files.deleteIfExists(staging);
        System.out.printf(
                "Built %s: %.2f G multiply-adds per %dx%d image%n",
                directory, macs / 1e9, SIZE, SIZE);
        return ModelSpec.load(directory);
    }

    /** Convolutions with constant random weights, counting multiply-adds. */
    private static final class Layers {
        final Ops tf;
        final Random random;
        long macs;
        long height = SIZE;
        long width = SIZE;

        Layers(Ops tf, Random random) {
            this.tf = tf;
            this.random = random;
        }

        Operand<TFloat32> conv(Operand<TFloat32> input, int k, int in, int out, int stride) {
            height = (height + stride - 1) / stride;
            width = (width + stride - 1) / stride;
            macs += height * width * out * (long) k * k * in;
            Operand<TFloat32> convolved =
                    tf.nn.conv2d(
                            input,
                            weights(Shape.of(k, k, in, out), k * k * in),
                            List.of(1L, (long) stride, (long) stride, 1L),
                            "SAME");
            return tf.nn.relu(tf.nn.biasAdd(convolved, tf.constant(new float[out])));
        }

        Operand<TFloat32> maxPool(Operand<TFloat32> input) {
            height = (height + 1) / 2;
            width = (width + 1) / 2;
            return tf.nn.maxPool(
                    input,
                    tf.constant(new int[] {1, 3, 3, 1}),
                    tf.constant(new int[] {1, 2, 2, 1}),
                    "SAME");
        }

        Operand<TFloat32> weights(Shape shape, int fanIn) {
            float[] values = new float[(int) shape.size()];
            double scale = Math.sqrt(2.0 / fanIn);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * scale);
            }
            return tf.constant(shape, DataBuffers.of(values, true, false));
        }
    }
}
