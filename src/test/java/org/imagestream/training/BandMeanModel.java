package org.imagestream.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * A two-label remote-sensing model whose answer a test can work out by hand: the mean of each
 * channel over the input, then one linear boundary. Label 1 wins when {@code sum_c w[c] x mean[c] >
 * threshold}, label 0 otherwise; scores are the softmax of {@code [-d, d]} with {@code d = scale x
 * (w . mean - threshold)}. Built and exported in TF Java for any input size, so a test can tile a
 * large scene into a few large tiles.
 */
public final class BandMeanModel {
    private BandMeanModel() {}

    /**
     * @param bands 1-based source bands the channels are read from
     * @param weights per channel
     * @param labels {@code [below, above]} the boundary
     */
    public static ModelSpec export(
            Path directory,
            int size,
            int[] bands,
            float[] weights,
            float threshold,
            List<String> labels)
            throws IOException {
        int channels = bands.length;
        float scale = 1000f;
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> image =
                    tf.withName("image")
                            .placeholder(
                                    TFloat32.class,
                                    Placeholder.shape(Shape.of(-1, size, size, channels)));
            Operand<TFloat32> means = tf.math.mean(image, tf.constant(new int[] {1, 2}));
            float[][] matrix = new float[channels][2];
            for (int c = 0; c < channels; c++) {
                matrix[c][0] = -scale * weights[c];
                matrix[c][1] = scale * weights[c];
            }
            Operand<TFloat32> logits =
                    tf.math.add(
                            tf.linalg.matMul(means, tf.constant(matrix)),
                            tf.constant(new float[] {scale * threshold, -scale * threshold}));
            Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(logits);
            try (Session session = new Session(graph)) {
                SavedModels.export(directory, session, image, probabilities);
            }
        }
        ModelSpec spec =
                ModelSpec.builder()
                        .domain(Domain.REMOTE_SENSING)
                        .directory(directory.toAbsolutePath().toString())
                        .name("band-mean")
                        .version("1")
                        .height(size)
                        .width(size)
                        .channels(channels)
                        .bands(bands)
                        .labels(labels)
                        .topK(2)
                        .tiling("tile")
                        .build();
        spec.store(directory);
        return spec;
    }
}
