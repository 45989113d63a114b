package org.imagestream.decode;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;
import org.imagestream.model.Domain;

/**
 * Renders any stored image as an sRGB picture for people (contact sheets): photos as they are,
 * multi-band tiles as a true-colour composite of Sentinel-2 B4/B3/B2 (bands 4, 3, 2; or the first
 * band in grey) with a 2–98 percentile stretch, DICOM through its VOI window.
 */
public final class Previews {
    private Previews() {}

    public static BufferedImage render(Domain domain, byte[] bytes, int size)
            throws DecodeException {
        BufferedImage full;
        try {
            full =
                    switch (domain) {
                        case SOCIAL -> ImageDecoders.readSocialImage(bytes, DecodeLimits.DEFAULT);
                        case REMOTE_SENSING -> trueColour(bytes);
                        case MEDICAL -> windowed(bytes);
                    };
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(
                    DecodeException.Reason.CORRUPT, "cannot render preview: " + e.getMessage(), e);
        }
        if (full == null) {
            throw new DecodeException(
                    DecodeException.Reason.UNSUPPORTED_FORMAT, "not a readable image");
        }
        BufferedImage scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            double scale =
                    Math.min((double) size / full.getWidth(), (double) size / full.getHeight());
            int w = (int) Math.round(full.getWidth() * scale);
            int h = (int) Math.round(full.getHeight() * scale);
            g.drawImage(full, (size - w) / 2, (size - h) / 2, w, h, null);
        } finally {
            g.dispose();
        }
        return scaled;
    }

    private static BufferedImage trueColour(byte[] bytes) throws IOException {
        Raster raster;
        try {
            raster = SceneDecoder.readTiffRaster(bytes);
        } catch (DecodeException e) {
            throw new IOException(e.getMessage(), e);
        }
        int bands = raster.getNumBands();
        int[] rgbBands = bands >= 4 ? new int[] {3, 2, 1} : new int[] {0, 0, 0};
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[][] channels = new int[3][];
        for (int c = 0; c < 3; c++) {
            channels[c] =
                    stretch(
                            raster.getSamples(
                                    raster.getMinX(),
                                    raster.getMinY(),
                                    w,
                                    h,
                                    rgbBands[c],
                                    (int[]) null));
        }
        for (int i = 0; i < w * h; i++) {
            out.setRGB(
                    i % w, i / w, (channels[0][i] << 16) | (channels[1][i] << 8) | channels[2][i]);
        }
        return out;
    }

    /** 2nd-98th percentile linear stretch to 0..255. */
    private static int[] stretch(int[] values) {
        int[] sorted = values.clone();
        Arrays.sort(sorted);
        int low = sorted[(int) (sorted.length * 0.02)];
        int high =
                Math.max(
                        low + 1, sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.98))]);
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (int) Math.max(0, Math.min(255, (values[i] - low) * 255L / (high - low)));
        }
        return out;
    }

    private static BufferedImage windowed(byte[] bytes) throws DecodeException {
        DecodedPixels pixels = DicomDecoder.decodeMedicalFullSize(bytes);
        int w = pixels.originalWidth();
        int h = pixels.originalHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < w * h; i++) {
            int v = Math.round(pixels.pixels()[i] * 255);
            out.setRGB(i % w, i / w, (v << 16) | (v << 8) | v);
        }
        return out;
    }
}
