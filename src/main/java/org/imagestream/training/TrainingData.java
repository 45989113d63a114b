package org.imagestream.training;

import java.util.List;
import java.util.Random;
import org.imagestream.decode.Pixels;
import org.imagestream.model.Domain;
import org.imagestream.samples.SyntheticScenes;

/**
 * Generated labelled datasets per domain. Raw scenes come from {@link SyntheticScenes} at a higher
 * resolution and go through the same {@link Pixels} preprocessing the decoders use, so training and
 * serving see identical inputs.
 */
final class TrainingData {
    static final int SIZE = 32;
    private static final int SOURCE_SIZE = 64;

    private TrainingData() {}

    static List<String> labels(Domain domain) {
        return switch (domain) {
            case SOCIAL -> SyntheticScenes.SOCIAL_LABELS;
            case REMOTE_SENSING -> SyntheticScenes.REMOTE_SENSING_LABELS;
            case MEDICAL -> SyntheticScenes.MEDICAL_LABELS;
        };
    }

    static int channels(Domain domain) {
        return switch (domain) {
            case SOCIAL -> 3;
            case REMOTE_SENSING -> SyntheticScenes.SENTINEL2_BANDS;
            case MEDICAL -> 1;
        };
    }

    /** Balanced set: image {@code i} has class {@code i mod K}. */
    static LabelledSet generate(Domain domain, int count, long seed) {
        Random random = new Random(seed);
        int classes = labels(domain).size();
        int channels = channels(domain);
        int imageSize = SIZE * SIZE * channels;
        float[] images = new float[count * imageSize];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            int label = i % classes;
            labels[i] = label;
            float[] pixels = sample(domain, label, random);
            System.arraycopy(pixels, 0, images, i * imageSize, imageSize);
        }
        return new LabelledSet(images, labels, count, SIZE, SIZE, channels);
    }

    private static float[] sample(Domain domain, int label, Random random) {
        switch (domain) {
            case SOCIAL:
                return Pixels.rgb(
                        SyntheticScenes.socialImage(label, SOURCE_SIZE, random), SIZE, SIZE);
            case REMOTE_SENSING:
                {
                    short[] patch = SyntheticScenes.remoteSensingPatch(label, SOURCE_SIZE, random);
                    int[] samples = new int[patch.length];
                    for (int i = 0; i < patch.length; i++) {
                        samples[i] = Short.toUnsignedInt(patch[i]);
                    }
                    return Pixels.bands(
                            samples,
                            SOURCE_SIZE,
                            SOURCE_SIZE,
                            SyntheticScenes.SENTINEL2_BANDS,
                            10000f,
                            SIZE,
                            SIZE);
                }
            case MEDICAL:
                {
                    short[] slice = SyntheticScenes.medicalSlice(label, SOURCE_SIZE, random);
                    double[] hu = new double[slice.length];
                    for (int i = 0; i < slice.length; i++) {
                        hu[i] =
                                Short.toUnsignedInt(slice[i])
                                        + SyntheticScenes.CT_RESCALE_INTERCEPT;
                    }
                    return Pixels.window(hu, SOURCE_SIZE, SOURCE_SIZE, 40, 400, SIZE, SIZE);
                }
            default:
                throw new IllegalArgumentException("domain " + domain);
        }
    }
}
