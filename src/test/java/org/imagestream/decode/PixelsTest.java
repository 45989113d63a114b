package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PixelsTest {
    @Test
    void shouldAverageWholeBlocksWhenShrinkingByAnInteger() {
        float[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        float[] out = Pixels.resize(src, 4, 4, 1, 2, 2);
        assertThat(out)
                .containsExactly(
                        (1 + 2 + 5 + 6) / 4f,
                        (3 + 4 + 7 + 8) / 4f,
                        (9 + 10 + 13 + 14) / 4f,
                        (11 + 12 + 15 + 16) / 4f);
    }

    @Test
    void shouldWeighPartialPixelsWhenShrinkingByAFraction() {
        float[] src = {0, 3, 6};
        float[] out = Pixels.resize(src, 3, 1, 1, 2, 1);
        // Output pixel 0 covers source [0, 1.5): 0 * 1 + 3 * 0.5 over 1.5.
        assertThat(out[0]).isCloseTo(1f, within(1e-6f));
        assertThat(out[1]).isCloseTo(5f, within(1e-6f));
    }

    @Test
    void shouldKeepChannelsSeparate() {
        float[] src = {1, 10, 3, 30};
        assertThat(Pixels.resize(src, 2, 1, 2, 1, 1)).containsExactly(2, 20);
    }

    /** The two-pass resize against the direct two-dimensional box sum it replaces. */
    @Test
    void shouldResampleLikeTheDirectAreaAverage() {
        java.util.Random random = new java.util.Random(3);
        int[][] cases = {{640, 480, 224, 224}, {97, 61, 32, 32}, {30, 20, 64, 48}, {5, 7, 3, 11}};
        for (int[] size : cases) {
            for (int channels : new int[] {1, 3, 13}) {
                float[] src = new float[size[0] * size[1] * channels];
                for (int i = 0; i < src.length; i++) {
                    src[i] = random.nextFloat();
                }
                float[] ours = Pixels.resize(src, size[0], size[1], channels, size[2], size[3]);
                float[] direct =
                        directAreaAverage(src, size[0], size[1], channels, size[2], size[3]);
                for (int i = 0; i < direct.length; i++) {
                    assertThat(ours[i]).isCloseTo(direct[i], within(1e-5f));
                }
            }
        }
    }

    /** Reading samples straight from the raster gives what the colour model's getRGB gives. */
    @Test
    void shouldReadEveryImageLayoutLikeGetRgb() {
        java.util.Random random = new java.util.Random(5);
        for (int type :
                new int[] {
                    java.awt.image.BufferedImage.TYPE_3BYTE_BGR,
                    java.awt.image.BufferedImage.TYPE_4BYTE_ABGR,
                    java.awt.image.BufferedImage.TYPE_INT_RGB,
                    java.awt.image.BufferedImage.TYPE_INT_ARGB,
                    java.awt.image.BufferedImage.TYPE_INT_BGR,
                    java.awt.image.BufferedImage.TYPE_USHORT_565_RGB
                }) {
            var image = new java.awt.image.BufferedImage(23, 17, type);
            for (int y = 0; y < 17; y++) {
                for (int x = 0; x < 23; x++) {
                    image.setRGB(x, y, random.nextInt());
                }
            }
            float[] ours = Pixels.rgb(image, 23, 17);
            int[] argb = image.getRGB(0, 0, 23, 17, null, 0, 23);
            for (int i = 0; i < argb.length; i++) {
                assertThat(ours[i * 3])
                        .as("type %d", type)
                        .isEqualTo(((argb[i] >> 16) & 0xff) / 255f);
                assertThat(ours[i * 3 + 1]).isEqualTo(((argb[i] >> 8) & 0xff) / 255f);
                assertThat(ours[i * 3 + 2]).isEqualTo((argb[i] & 0xff) / 255f);
            }
        }
    }

    private static float[] directAreaAverage(
            float[] src, int width, int height, int channels, int outWidth, int outHeight) {
        float[] out = new float[outWidth * outHeight * channels];
        double scaleX = (double) width / outWidth;
        double scaleY = (double) height / outHeight;
        for (int oy = 0; oy < outHeight; oy++) {
            double y0 = oy * scaleY;
            double y1 = y0 + scaleY;
            for (int ox = 0; ox < outWidth; ox++) {
                double x0 = ox * scaleX;
                double x1 = x0 + scaleX;
                double[] sum = new double[channels];
                double total = 0;
                for (int sy = (int) y0; sy < Math.min(height, Math.ceil(y1)); sy++) {
                    double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
                    for (int sx = (int) x0; sx < Math.min(width, Math.ceil(x1)); sx++) {
                        double wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
                        if (wx <= 0 || wy <= 0) {
                            continue;
                        }
                        for (int c = 0; c < channels; c++) {
                            sum[c] += src[(sy * width + sx) * channels + c] * wx * wy;
                        }
                        total += wx * wy;
                    }
                }
                for (int c = 0; c < channels; c++) {
                    out[(oy * outWidth + ox) * channels + c] = (float) (sum[c] / total);
                }
            }
        }
        return out;
    }
}
