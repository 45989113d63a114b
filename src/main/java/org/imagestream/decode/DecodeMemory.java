package org.imagestream.decode;

import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;

/**
 * Heap bytes per source pixel (and the few fixed sizes, such as DICOM's window table) that each
 * decode path really uses at its peak, counted from the copies the code makes, so {@link
 * DecodeLimits#checkMemory} and {@link DecodeLimits#subsampling} can bound an image's decode from
 * its header before anything is allocated. Each constant names the arrays it stands for; change it
 * with the code it describes.
 */
final class DecodeMemory {
    /**
     * Remote sensing after the reader: the float samples of the model's channels ({@code 4 x
     * channels}), plus one float band (selected bands) and one float channel (percentile stretch).
     */
    private static final long SCENE_FLOATS_PER_CHANNEL = 4;

    private static final long SCENE_EXTRA_FLOAT_PLANES = 2;

    /**
     * Bytes that resampling ({@link Pixels#resize}) and the row readers hold per source row and per
     * source column, whatever the other side: the area weights (source, output and weight, 16), the
     * lists of weights each source row feeds (an array per row, about 28), their counts (4), and
     * one row of up to 32 float channels (128). Negligible for a photo's shape, decisive for a
     * needle: 8 million rows by one column hold over a gigabyte of it.
     */
    static final long PER_ROW_AND_COLUMN = 16 + 28 + 4 + 4 * 32;

    /**
     * TwelveMonkeys' heap per macroblock of a lossy WebP frame while it decodes: the macroblock,
     * its 25 sub-blocks and their coefficient, prediction and residue arrays, all built for the
     * whole frame ({@link SocialFormat#lossyWebpMacroblocks}). Measured at 5,300-5,550 bytes on
     * cwebp-written photos ({@code LossyWebpMemoryTest}), 3,800 right after construction. The
     * default budget (64 MiB) admits a 1920 x 1080 frame (8,540 macroblocks), not 2048 x 1536. With
     * compressed object pointers (heaps under 32 GB, as every TaskManager here has).
     */
    static final long VP8_MACROBLOCK = 6_144;

    private DecodeMemory() {}

    /**
     * A photo: the reader's image twice (TwelveMonkeys converts ICC-tagged and CMYK JPEGs into a
     * second raster; palettes and 16-bit samples are expanded). Orientation, grey conversion and
     * resampling then stream its rows ({@link UprightRgbRows}): no further full-size copy.
     */
    static long photo(long readerBytesPerPixel) {
        return 2 * Math.max(4, readerBytesPerPixel);
    }

    /**
     * A scene: the reader's raster (every band) twice, since TwelveMonkeys' {@code readRaster}
     * returns a copy of the image it decoded (still made for the photometric interpretations it
     * normalises, see {@link TiffRasters}; counted for all, so the subsampling a budget chooses
     * does not depend on the interpretation); band-by-band TIFFs add one float plane; plus the
     * float channels and planes.
     */
    static long scene(long bands, long bytesPerSample, long channels, boolean planar) {
        long raster = 2 * bands * bytesPerSample + (planar ? SCENE_FLOATS_PER_CHANNEL : 0);
        return raster
                + SCENE_FLOATS_PER_CHANNEL * channels
                + SCENE_FLOATS_PER_CHANNEL * SCENE_EXTRA_FLOAT_PLANES;
    }

    /**
     * DICOM beyond the output and the resampler's rows: the rendering table of a sample of up to 16
     * stored bits ({@code NativeDicomFrames#windowedRows}). The frames themselves are read in place
     * from the file's bytes, one row at a time.
     */
    static final long DICOM_WINDOW_TABLE = Float.BYTES * (1L << 16);

    /**
     * Bytes per pixel of the image a reader returns for image 0, from its raw type (data elements
     * per pixel x the size of the raster's data type); 4 when the reader cannot say before
     * decoding.
     */
    static long readerBytesPerPixel(ImageReader reader) throws IOException {
        ImageTypeSpecifier type = reader.getRawImageType(0);
        if (type == null) {
            var types = reader.getImageTypes(0);
            type = types != null && types.hasNext() ? types.next() : null;
        }
        if (type == null) {
            return 4;
        }
        SampleModel model = type.getSampleModel();
        return Math.max(
                1L,
                (long) model.getNumDataElements()
                        * DataBuffer.getDataTypeSize(model.getDataType())
                        / 8);
    }
}
