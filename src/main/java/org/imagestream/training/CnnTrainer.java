package org.imagestream.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Builds the classic small CNN (Conv32 3x3, MaxPool, Conv64 3x3, MaxPool, Conv64 3x3, Dense64,
 * DenseK; VALID padding) in TF Java, trains it with Adam on generated labelled images, measures
 * held-out accuracy and exports a SavedModel with a {@code serving_default} signature ({@code
 * image} [N,H,W,C] float in, {@code probabilities} [N,K] out) plus its {@link ModelSpec}.
 */
public final class CnnTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(CnnTrainer.class);

    /** Training settings; defaults reach high accuracy on the generated data in seconds. */
    public record Settings(
            int trainImages,
            int testImages,
            int epochs,
            int batchSize,
            float learningRate,
            long seed) {
        public static Settings defaults() {
            return new Settings(3000, 600, 4, 64, 0.002f, 42L);
        }
    }

    /** What training produced. */
    public record Outcome(
            ModelSpec spec, double testAccuracy, int[][] confusion, long trainMillis) {}

    private CnnTrainer() {}

    /** Trains a model for {@code domain} and exports it into {@code directory} (must not exist). */
    public static Outcome trainAndExport(
            Domain domain, Path directory, String version, Settings settings) throws IOException {
        List<String> labels = TrainingData.labels(domain);
        int classes = labels.size();
        int size = TrainingData.SIZE;
        int channels = TrainingData.channels(domain);
        LabelledSet train = TrainingData.generate(domain, settings.trainImages(), settings.seed());
        LabelledSet test =
                TrainingData.generate(domain, settings.testImages(), settings.seed() + 1);

        long started = System.currentTimeMillis();
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> images =
                    tf.withName("image")
                            .placeholder(
                                    TFloat32.class,
                                    Placeholder.shape(Shape.of(-1, size, size, channels)));
            Placeholder<TInt32> targets =
                    tf.withName("label").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));

            long seed = settings.seed();
            Operand<TFloat32> x = conv(tf, images, channels, 32, seed++);
            x = maxPool(tf, x);
            x = conv(tf, x, 32, 64, seed++);
            x = maxPool(tf, x);
            x = conv(tf, x, 64, 64, seed++);
            // 32 -> 30 -> 15 -> 13 -> 6 -> 4 with VALID 3x3 convolutions and 2x2 pools.
            int flat = 4 * 4 * 64;
            x = tf.reshape(x, tf.constant(new long[] {-1, flat}));
            x = tf.nn.relu(dense(tf, x, flat, 64, seed++));
            Operand<TFloat32> logits = dense(tf, x, 64, classes, seed);
            Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(logits);

            Operand<TFloat32> oneHot =
                    tf.oneHot(targets, tf.constant(classes), tf.constant(1f), tf.constant(0f));
            Operand<TFloat32> loss =
                    tf.math.mean(
                            tf.nn.softmaxCrossEntropyWithLogits(logits, oneHot).loss(),
                            tf.constant(0));
            Op minimize = new Adam(graph, settings.learningRate()).minimize(loss);

            try (Session session = new Session(graph)) {
                session.initialize();
                int[] order = new int[train.count()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Random shuffle = new Random(settings.seed());
                for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                    shuffleInPlace(order, shuffle);
                    double lossSum = 0;
                    int batches = 0;
                    for (int start = 0; start < order.length; start += settings.batchSize()) {
                        int n = Math.min(settings.batchSize(), order.length - start);
                        float[] batchImages = new float[n * train.imageSize()];
                        int[] batchLabels = new int[n];
                        for (int i = 0; i < n; i++) {
                            int index = order[start + i];
                            System.arraycopy(
                                    train.images(),
                                    index * train.imageSize(),
                                    batchImages,
                                    i * train.imageSize(),
                                    train.imageSize());
                            batchLabels[i] = train.labels()[index];
                        }
                        try (TFloat32 imageTensor =
                                        TFloat32.tensorOf(
                                                Shape.of(n, size, size, channels),
                                                DataBuffers.of(batchImages, true, false));
                                TInt32 labelTensor =
                                        TInt32.tensorOf(
                                                Shape.of(n),
                                                DataBuffers.of(batchLabels, true, false));
                                Result result =
                                        session.runner()
                                                .feed(images, imageTensor)
                                                .feed(targets, labelTensor)
                                                .addTarget(minimize)
                                                .fetch(loss)
                                                .run()) {
                            lossSum += ((TFloat32) result.get(0)).getFloat();
                            batches++;
                        }
                    }
                    LOG.info(
                            "{} epoch {}/{}: mean loss {}",
                            domain.id(),
                            epoch + 1,
                            settings.epochs(),
                            String.format("%.4f", lossSum / batches));
                }
                long trainMillis = System.currentTimeMillis() - started;

                int[][] confusion = evaluate(session, images, probabilities, test, classes);
                int correct = 0;
                for (int c = 0; c < classes; c++) {
                    correct += confusion[c][c];
                }
                double accuracy = (double) correct / test.count();

                SavedModels.export(directory, session, images, probabilities);
                ModelSpec spec =
                        ModelSpec.builder()
                                .domain(domain)
                                .directory(directory.toAbsolutePath().toString())
                                .name("seed-cnn-" + domain.id())
                                .version(version)
                                .height(size)
                                .width(size)
                                .channels(channels)
                                .labels(labels)
                                .topK(Math.min(3, classes))
                                // Trained on whole scenes downsampled to the input size.
                                .tiling(domain == Domain.REMOTE_SENSING ? "resize" : "tile")
                                .build();
                spec.store(directory);
                return new Outcome(spec, accuracy, confusion, trainMillis);
            }
        }
    }

    private static int[][] evaluate(
            Session session,
            Placeholder<TFloat32> images,
            Operand<TFloat32> probabilities,
            LabelledSet test,
            int classes) {
        int[][] confusion = new int[classes][classes];
        int batch = 200;
        for (int start = 0; start < test.count(); start += batch) {
            int n = Math.min(batch, test.count() - start);
            float[] slice = new float[n * test.imageSize()];
            System.arraycopy(test.images(), start * test.imageSize(), slice, 0, slice.length);
            float[] scores = new float[n * classes];
            try (TFloat32 input =
                            TFloat32.tensorOf(
                                    Shape.of(n, test.height(), test.width(), test.channels()),
                                    DataBuffers.of(slice, true, false));
                    Result result =
                            session.runner().feed(images, input).fetch(probabilities).run()) {
                ((TFloat32) result.get(0)).copyTo(DataBuffers.of(scores, false, false));
            }
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (scores[i * classes + c] > scores[i * classes + best]) {
                        best = c;
                    }
                }
                confusion[test.labels()[start + i]][best]++;
            }
        }
        return confusion;
    }

    private static Operand<TFloat32> conv(
            Ops tf, Operand<TFloat32> input, int inChannels, int outChannels, long seed) {
        Variable<TFloat32> weights =
                tf.variable(
                        heNormal(
                                tf,
                                new long[] {3, 3, inChannels, outChannels},
                                9L * inChannels,
                                seed));
        Variable<TFloat32> bias =
                tf.variable(tf.zeros(tf.constant(new long[] {outChannels}), TFloat32.class));
        return tf.nn.relu(
                tf.nn.biasAdd(
                        tf.nn.conv2d(input, weights, List.of(1L, 1L, 1L, 1L), "VALID"), bias));
    }

    private static Operand<TFloat32> maxPool(Ops tf, Operand<TFloat32> input) {
        return tf.nn.maxPool(
                input,
                tf.constant(new int[] {1, 2, 2, 1}),
                tf.constant(new int[] {1, 2, 2, 1}),
                "VALID");
    }

    private static Operand<TFloat32> dense(
            Ops tf, Operand<TFloat32> input, int in, int out, long seed) {
        Variable<TFloat32> weights = tf.variable(heNormal(tf, new long[] {in, out}, in, seed));
        Variable<TFloat32> bias =
                tf.variable(tf.zeros(tf.constant(new long[] {out}), TFloat32.class));
        return tf.math.add(tf.linalg.matMul(input, weights), bias);
    }

    /** He-normal initialisation (truncated normal, stddev sqrt(2 / fan-in)) suits ReLU layers. */
    private static Operand<TFloat32> heNormal(Ops tf, long[] shape, long fanIn, long seed) {
        return tf.math.mul(
                tf.random.truncatedNormal(
                        tf.constant(shape),
                        TFloat32.class,
                        TruncatedNormal.seed(seed),
                        TruncatedNormal.seed2(seed * 31 + 7)),
                tf.constant((float) Math.sqrt(2.0 / fanIn)));
    }

    private static void shuffleInPlace(int[] values, Random random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = values[i];
            values[i] = values[j];
            values[j] = tmp;
        }
    }
}
