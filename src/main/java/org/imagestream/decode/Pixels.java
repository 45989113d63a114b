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
     * VOI windowing (DICOM PS3.3 C.11.2.1.2.1, linear; {@link VoiWindow}) of modality values (e.g.
     * HU), then area resampling: what the DICOM decoder renders from a file, for callers that hold
     * the values (the seed models' training data).
     */
    public static float[] window(
            double[] values,
            int width,
            int height,
            double center,
            double windowWidth,
            int outWidth,
            int outHeight) {
        VoiWindow window = new VoiWindow(center, windowWidth);
        return resize(
                (y, row) -> {
                    for (int x = 0; x < width; x++) {
                        row[x] = window.apply(values[y * width + x]);
                    }
                },
                width,
                height,
                1,
                outWidth,
                outHeight);
    }

    /** Fills {@code row} with the samples of source row {@code y} (HWC, one row). */
    @FunctionalInterface
    public interface RowSource {
        void read(int y, float[] row);
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
        int rowLength = width * channels;
        return resize(
                (y, row) -> System.arraycopy(src, y * rowLength, row, 0, rowLength),
                width,
                height,
                channels,
                outWidth,
                outHeight);
    }

    /**
     * {@link #resize(float[], int, int, int, int, int)} reading the source one row at a time: the
     * source never exists as one array, and the memory used is the output plus one source row. The
     * weights of a box are products of a horizontal and a vertical weight: each source row is
     * shrunk horizontally, then added to the output rows it covers, in source order, so the sums
     * are the same as a two-pass resize's.
     */
    public static float[] resize(
            RowSource source, int width, int height, int channels, int outWidth, int outHeight) {
        int rowLength = width * channels;
        float[] row = new float[rowLength];
        if (width == outWidth && height == outHeight) {
            float[] out = new float[rowLength * height];
            for (int y = 0; y < height; y++) {
                source.read(y, row);
                System.arraycopy(row, 0, out, y * rowLength, rowLength);
            }
            return out;
        }
        AxisWeights horizontal = new AxisWeights(width, outWidth);
        AxisWeights vertical = new AxisWeights(height, outHeight);
        int[][] users = vertical.usersBySource(height);
        int outRowLength = outWidth * channels;
        // One array per output row, not one for the whole image: 224x224x3 sums in one double[]
        // are 1.2 MB, which G1 allocates as a humongous object straight into the old generation
        // (over half a region: 1 MB regions under a 2 GB heap), and every such allocation may
        // start a concurrent marking cycle. Rows of a few KB are ordinary short-lived garbage.
        double[][] sums = new double[outHeight][outRowLength];
        double[] shrunk = new double[outRowLength];
        for (int y = 0; y < height; y++) {
            if (users[y].length == 0) {
                continue; // no output row covers it
            }
            source.read(y, row);
            shrinkRow(row, channels, horizontal, shrunk);
            for (int k : users[y]) {
                double weight = vertical.weight[k];
                double[] outRow = sums[vertical.output[k]];
                for (int i = 0; i < outRowLength; i++) {
                    outRow[i] += shrunk[i] * weight;
                }
            }
        }
        // Normalise by each box's total weight.
        float[] out = new float[outRowLength * outHeight];
        for (int oy = 0; oy < outHeight; oy++) {
            double[] rowSums = sums[oy];
            int outRow = oy * outRowLength;
            for (int ox = 0; ox < outWidth; ox++) {
                double total = horizontal.total[ox] * vertical.total[oy];
                for (int c = 0; c < channels; c++) {
                    int i = ox * channels + c;
                    out[outRow + i] = (float) (rowSums[i] / total);
                }
            }
        }
        return out;
    }

    /**
     * One source row shrunk horizontally into {@code shrunk}: each output sample the weighted sum
     * of the source samples its box covers, in source order. The sums run in local variables: a sum
     * kept in the array would make every addition wait for the store of the one before.
     */
    private static void shrinkRow(
            float[] row, int channels, AxisWeights horizontal, double[] shrunk) {
        int outWidth = horizontal.start.length - 1;
        if (channels == 1) {
            for (int ox = 0; ox < outWidth; ox++) {
                double sum = 0;
                for (int k = horizontal.start[ox]; k < horizontal.start[ox + 1]; k++) {
                    sum += row[horizontal.source[k]] * horizontal.weight[k];
                }
                shrunk[ox] = sum;
            }
        } else if (channels == 3) {
            for (int ox = 0; ox < outWidth; ox++) {
                double r = 0;
                double g = 0;
                double b = 0;
                for (int k = horizontal.start[ox]; k < horizontal.start[ox + 1]; k++) {
                    double weight = horizontal.weight[k];
                    int in = horizontal.source[k] * 3;
                    r += row[in] * weight;
                    g += row[in + 1] * weight;
                    b += row[in + 2] * weight;
                }
                shrunk[ox * 3] = r;
                shrunk[ox * 3 + 1] = g;
                shrunk[ox * 3 + 2] = b;
            }
        } else {
            java.util.Arrays.fill(shrunk, 0);
            for (int ox = 0; ox < outWidth; ox++) {
                int out = ox * channels;
                for (int k = horizontal.start[ox]; k < horizontal.start[ox + 1]; k++) {
                    double weight = horizontal.weight[k];
                    int in = horizontal.source[k] * channels;
                    for (int c = 0; c < channels; c++) {
                        shrunk[out + c] += row[in + c] * weight;
                    }
                }
            }
        }
    }

    /** For each output position of one axis: the source positions it covers and their weights. */
    private static final class AxisWeights {
        final int[] start;
        final int[] source;
        final int[] output;
        final double[] weight;
        final double[] total;

        AxisWeights(int size, int outSize) {
            double scale = (double) size / outSize;
            start = new int[outSize + 1];
            total = new double[outSize];
            int capacity = outSize * ((int) Math.ceil(scale) + 2);
            source = new int[capacity];
            output = new int[capacity];
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
                        output[n] = o;
                        weight[n] = w;
                        total[o] += w;
                        n++;
                    }
                }
            }
            start[outSize] = n;
        }

        /**
         * For each source position, the indices {@code k} of the weights that use it, ascending (so
         * by ascending output position).
         */
        int[][] usersBySource(int size) {
            int[] counts = new int[size];
            int n = start[start.length - 1];
            for (int k = 0; k < n; k++) {
                counts[source[k]]++;
            }
            int[][] users = new int[size][];
            for (int s = 0; s < size; s++) {
                users[s] = new int[counts[s]];
                counts[s] = 0;
            }
            for (int k = 0; k < n; k++) {
                users[source[k]][counts[source[k]]++] = k;
            }
            return users;
        }
    }
}
