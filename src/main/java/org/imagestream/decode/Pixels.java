package org.imagestream.decode;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;

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
        float[] rgb = new float[width * height * 3];
        if (!copyRgbSamples(image, rgb)) {
            // Any other layout: the colour model converts (about 5x slower per pixel).
            int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
            for (int i = 0; i < argb.length; i++) {
                int pixel = argb[i];
                rgb[i * 3] = ((pixel >> 16) & 0xff) / 255f;
                rgb[i * 3 + 1] = ((pixel >> 8) & 0xff) / 255f;
                rgb[i * 3 + 2] = (pixel & 0xff) / 255f;
            }
        }
        return resize(rgb, width, height, 3, outWidth, outHeight);
    }

    /**
     * The samples of the layouts the decoders produce for photos (JPEG: 3-byte BGR, PNG/WebP with
     * alpha: 4-byte ABGR or int ARGB, JDK readers: int RGB), read straight from the raster; the
     * values are the same {@code getRGB} returns for these non-premultiplied sRGB layouts.
     */
    private static boolean copyRgbSamples(BufferedImage image, float[] rgb) {
        int type = image.getType();
        var raster = image.getRaster();
        if (raster.getParent() != null
                || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0) {
            return false; // a sub-image: its buffer is not laid out from (0, 0)
        }
        int pixels = image.getWidth() * image.getHeight();
        switch (type) {
            case BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR -> {
                byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
                int stride = type == BufferedImage.TYPE_3BYTE_BGR ? 3 : 4;
                int first = stride - 3; // ABGR: skip alpha
                for (int i = 0; i < pixels; i++) {
                    int at = i * stride + first;
                    rgb[i * 3] = (data[at + 2] & 0xff) / 255f;
                    rgb[i * 3 + 1] = (data[at + 1] & 0xff) / 255f;
                    rgb[i * 3 + 2] = (data[at] & 0xff) / 255f;
                }
                return data.length >= pixels * stride;
            }
            case BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB -> {
                int[] data = ((DataBufferInt) raster.getDataBuffer()).getData();
                for (int i = 0; i < pixels; i++) {
                    int pixel = data[i];
                    rgb[i * 3] = ((pixel >> 16) & 0xff) / 255f;
                    rgb[i * 3 + 1] = ((pixel >> 8) & 0xff) / 255f;
                    rgb[i * 3 + 2] = (pixel & 0xff) / 255f;
                }
                return true;
            }
            default -> {
                return false;
            }
        }
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
     * aliasing from skipping source pixels. The weights of a box are products of a horizontal and a
     * vertical weight, so it runs as two one-dimensional passes.
     */
    public static float[] resize(
            float[] src, int width, int height, int channels, int outWidth, int outHeight) {
        if (width == outWidth && height == outHeight) {
            return src;
        }
        AxisWeights horizontal = new AxisWeights(width, outWidth);
        AxisWeights vertical = new AxisWeights(height, outHeight);
        // Horizontal pass: height x outWidth x channels.
        double[] rows = new double[height * outWidth * channels];
        for (int y = 0; y < height; y++) {
            int srcRow = y * width * channels;
            int outRow = y * outWidth * channels;
            for (int ox = 0; ox < outWidth; ox++) {
                int out = outRow + ox * channels;
                for (int k = horizontal.start[ox]; k < horizontal.start[ox + 1]; k++) {
                    double weight = horizontal.weight[k];
                    int in = srcRow + horizontal.source[k] * channels;
                    for (int c = 0; c < channels; c++) {
                        rows[out + c] += src[in + c] * weight;
                    }
                }
            }
        }
        // Vertical pass, then normalise by the box's total weight.
        float[] out = new float[outWidth * outHeight * channels];
        double[] accumulator = new double[outWidth * channels];
        int rowSize = outWidth * channels;
        for (int oy = 0; oy < outHeight; oy++) {
            java.util.Arrays.fill(accumulator, 0);
            for (int k = vertical.start[oy]; k < vertical.start[oy + 1]; k++) {
                double weight = vertical.weight[k];
                int in = vertical.source[k] * rowSize;
                for (int i = 0; i < rowSize; i++) {
                    accumulator[i] += rows[in + i] * weight;
                }
            }
            int outRow = oy * rowSize;
            for (int ox = 0; ox < outWidth; ox++) {
                double total = horizontal.total[ox] * vertical.total[oy];
                for (int c = 0; c < channels; c++) {
                    int i = ox * channels + c;
                    out[outRow + i] = (float) (accumulator[i] / total);
                }
            }
        }
        return out;
    }

    /** For each output position of one axis: the source positions it covers and their weights. */
    private static final class AxisWeights {
        final int[] start;
        final int[] source;
        final double[] weight;
        final double[] total;

        AxisWeights(int size, int outSize) {
            double scale = (double) size / outSize;
            start = new int[outSize + 1];
            total = new double[outSize];
            int capacity = outSize * ((int) Math.ceil(scale) + 2);
            source = new int[capacity];
            weight = new double[capacity];
            int n = 0;
            for (int o = 0; o < outSize; o++) {
                start[o] = n;
                double from = o * scale;
                double to = from + scale;
                for (int s = (int) from; s < Math.min(size, Math.ceil(to)); s++) {
                    double w = Math.min(to, s + 1) - Math.max(from, s);
                    if (w > 0) {
                        source[n] = s;
                        weight[n] = w;
                        total[o] += w;
                        n++;
                    }
                }
            }
            start[outSize] = n;
        }
    }
}
