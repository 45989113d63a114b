package org.imagestream.decode;

import java.awt.image.BufferedImage;

/**
 * Conversions from decoded samples to normalised model tensors (row-major HWC floats). Shared by
 * the decoders and by training, so a model sees at inference exactly the preprocessing it was
 * trained with.
 */
public final class Pixels {
    private Pixels() {}

    /** sRGB image to [0,1] RGB floats, area-resampled to {@code outWidth x outHeight}. */
    public static float[] rgb(BufferedImage image, int outWidth, int outHeight) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        float[] rgb = new float[width * height * 3];
        for (int i = 0; i < argb.length; i++) {
            int pixel = argb[i];
            rgb[i * 3] = ((pixel >> 16) & 0xff) / 255f;
            rgb[i * 3 + 1] = ((pixel >> 8) & 0xff) / 255f;
            rgb[i * 3 + 2] = (pixel & 0xff) / 255f;
        }
        return resize(rgb, width, height, 3, outWidth, outHeight);
    }

    /**
     * Pixel-interleaved unsigned 16-bit bands to floats divided by {@code scale} (e.g. 10000 for
     * Sentinel-2 reflectance), area-resampled.
     */
    public static float[] bands(
            int[] samples,
            int width,
            int height,
            int bands,
            float scale,
            int outWidth,
            int outHeight) {
        float[] values = new float[samples.length];
        for (int i = 0; i < samples.length; i++) {
            values[i] = samples[i] / scale;
        }
        return resize(values, width, height, bands, outWidth, outHeight);
    }

    /**
     * VOI windowing (DICOM PS3.3 C.11.2.1.2.1, linear): maps modality values (e.g. HU) in {@code
     * [center - width/2, center + width/2]} to [0,1], clamping outside, then area-resamples.
     */
    public static float[] window(
            double[] values,
            int width,
            int height,
            double center,
            double windowWidth,
            int outWidth,
            int outHeight) {
        float[] out = new float[values.length];
        double lower = center - 0.5 - (windowWidth - 1) / 2;
        double span = Math.max(1e-6, windowWidth - 1);
        for (int i = 0; i < values.length; i++) {
            double v = (values[i] - lower) / span;
            out[i] = (float) Math.max(0, Math.min(1, v));
        }
        return resize(out, width, height, 1, outWidth, outHeight);
    }

    /**
     * Area-weighted resampling: each output pixel is the mean of the source area it covers (with
     * fractional edge weights). Exact box filtering when shrinking, nearest-like when enlarging; no
     * aliasing from skipping source pixels.
     */
    public static float[] resize(
            float[] src, int width, int height, int channels, int outWidth, int outHeight) {
        if (width == outWidth && height == outHeight) {
            return src;
        }
        float[] out = new float[outWidth * outHeight * channels];
        double scaleX = (double) width / outWidth;
        double scaleY = (double) height / outHeight;
        double[] accumulator = new double[channels];
        for (int oy = 0; oy < outHeight; oy++) {
            double y0 = oy * scaleY;
            double y1 = y0 + scaleY;
            for (int ox = 0; ox < outWidth; ox++) {
                double x0 = ox * scaleX;
                double x1 = x0 + scaleX;
                java.util.Arrays.fill(accumulator, 0);
                double totalWeight = 0;
                for (int sy = (int) y0; sy < Math.min(height, Math.ceil(y1)); sy++) {
                    double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
                    if (wy <= 0) {
                        continue;
                    }
                    for (int sx = (int) x0; sx < Math.min(width, Math.ceil(x1)); sx++) {
                        double wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
                        if (wx <= 0) {
                            continue;
                        }
                        double weight = wx * wy;
                        int base = (sy * width + sx) * channels;
                        for (int c = 0; c < channels; c++) {
                            accumulator[c] += src[base + c] * weight;
                        }
                        totalWeight += weight;
                    }
                }
                int outBase = (oy * outWidth + ox) * channels;
                for (int c = 0; c < channels; c++) {
                    out[outBase + c] = (float) (accumulator[c] / totalWeight);
                }
            }
        }
        return out;
    }
}
