package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two-pass selection against the plain definition: sort each channel's samples and take the
 * value at rank {@code round(p / 100 x (n - 1))}.
 */
class ChannelPercentilesTest {
    private static final float[] PERCENTILES = {0f, 2f, 50f, 98f, 100f};

    @Test
    void shouldSelectWhatASortSelectsWhateverTheValuesAndTheOrderOfPortions() {
        Random random = new Random(7);
        for (int round = 0; round < 40; round++) {
            int channels = 1 + random.nextInt(4);
            int pixels = 1 + random.nextInt(5000);
            float[] samples = new float[pixels * channels];
            for (int i = 0; i < samples.length; i++) {
                samples[i] =
                        switch (round % 4) {
                            // Reflectance-like: a few thousand distinct values.
                            case 0 -> random.nextInt(12000) / 10000f;
                            // Many duplicates.
                            case 1 -> random.nextInt(5);
                            // Signed, wide range, zeros of both signs.
                            case 2 ->
                                    (random.nextBoolean() ? -1 : 1)
                                            * (random.nextInt(10) == 0
                                                    ? 0f
                                                    : random.nextFloat() * 1e6f);
                            default -> (float) random.nextGaussian();
                        };
            }
            ChannelPercentiles selection = new ChannelPercentiles(channels, pixels, PERCENTILES);
            do {
                // Portions of whole pixels, as strips of a scene arrive.
                for (int start = 0; start < pixels; ) {
                    int count = Math.min(pixels - start, 1 + random.nextInt(700));
                    selection.count(
                            Arrays.copyOfRange(
                                    samples, start * channels, (start + count) * channels));
                    start += count;
                }
            } while (selection.endPass());
            for (int c = 0; c < channels; c++) {
                float[] channel = new float[pixels];
                for (int p = 0; p < pixels; p++) {
                    channel[p] = samples[p * channels + c];
                }
                Arrays.sort(channel);
                for (int w = 0; w < PERCENTILES.length; w++) {
                    float expected =
                            channel[(int) Math.round(PERCENTILES[w] / 100.0 * (pixels - 1))];
                    assertThat(Float.floatToIntBits(selection.value(c, w)))
                            .as("round %d channel %d percentile %s", round, c, PERCENTILES[w])
                            .isEqualTo(Float.floatToIntBits(expected));
                }
            }
        }
    }

    @Test
    void shouldOrderKeysAsFloatCompareDoes() {
        float[] ordered = {
            Float.NEGATIVE_INFINITY,
            -3.5f,
            -Float.MIN_VALUE,
            -0f,
            0f,
            Float.MIN_VALUE,
            1f,
            Float.POSITIVE_INFINITY,
            Float.NaN
        };
        for (int i = 1; i < ordered.length; i++) {
            assertThat(
                            Integer.compareUnsigned(
                                    ChannelPercentiles.key(ordered[i - 1]),
                                    ChannelPercentiles.key(ordered[i])))
                    .isNegative();
        }
        for (float value : ordered) {
            assertThat(
                            Float.floatToIntBits(
                                    ChannelPercentiles.value(ChannelPercentiles.key(value))))
                    .isEqualTo(Float.floatToIntBits(value));
        }
    }
}
