package org.imagestream.decode;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Set;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;

/**
 * A TIFF image's raw samples from TwelveMonkeys' reader without the copy its {@code readRaster}
 * makes. In TwelveMonkeys 3.12, {@code readRaster} decodes into an image without colour
 * normalisation and returns {@code BufferedImage.getData()}, a second raster filled row by row
 * through {@code getDataElements}/{@code setDataElements}; {@code read} decodes the same way, with
 * normalisation, into the same kind of image. Normalisation changes integer samples only for the
 * photometric interpretations below, and clamps every float or double sample to [0, 1]; so for
 * integer samples under any other interpretation the image's own raster holds exactly the samples
 * {@code readRaster} would copy. For those interpretations, float or double samples, or an image
 * that does not say, the copy is still made.
 */
final class TiffRasters {
    static final int PHOTOMETRIC_INTERPRETATION = 262;

    /**
     * WhiteIsZero, YCbCr, CIELab, ICCLab, ITULab: what TwelveMonkeys' {@code normalizeColor}
     * rewrites (inverted, or converted to RGB).
     */
    private static final Set<Long> NORMALIZED = Set.of(0L, 6L, 8L, 9L, 10L);

    private TiffRasters() {}

    /**
     * Whether {@code read} leaves an image's samples as {@code readRaster} returns them, so the
     * decoded image's own raster can stand in for {@code readRaster}'s copy: integer samples under
     * a photometric interpretation that normalisation does not rewrite. Decided once per image, not
     * per read of its rows.
     *
     * @param directory the image's TIFF directory (its photometric interpretation decides), or null
     *     when unknown
     * @param rawType the reader's raw image type of the image, or null when it has none
     */
    static boolean readKeepsSamples(TiffDirectory directory, ImageTypeSpecifier rawType) {
        long photometric =
                directory == null ? -1 : directory.integer(PHOTOMETRIC_INTERPRETATION, -1);
        if (photometric < 0 || NORMALIZED.contains(photometric) || rawType == null) {
            return false;
        }
        int type = rawType.getSampleModel().getDataType();
        return type == DataBuffer.TYPE_BYTE
                || type == DataBuffer.TYPE_USHORT
                || type == DataBuffer.TYPE_SHORT
                || type == DataBuffer.TYPE_INT;
    }

    /**
     * The samples {@code reader.readRaster(imageIndex, param)} returns, in a raster of the same
     * sample model: the decoded image's own raster when {@code readKeepsSamples} (from {@link
     * #readKeepsSamples}), else {@code readRaster}'s.
     */
    static Raster read(
            ImageReader reader, int imageIndex, ImageReadParam param, boolean readKeepsSamples)
            throws IOException {
        return readKeepsSamples
                ? reader.read(imageIndex, param).getRaster()
                : reader.readRaster(imageIndex, param);
    }

    /** The directory of image {@code imageIndex} of a file's chain, or null when not known. */
    static TiffDirectory directory(TiffDirectory.Chain tiff, int imageIndex) {
        if (tiff == null) {
            return null;
        }
        if (imageIndex == 0) {
            return tiff.first();
        }
        var chain = tiff.directories();
        return imageIndex < chain.size() ? chain.get(imageIndex) : null;
    }
}
