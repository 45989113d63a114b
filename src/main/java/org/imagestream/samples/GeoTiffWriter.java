package org.imagestream.samples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a multi-band, unsigned 16-bit, uncompressed, single-strip little-endian GeoTIFF with a tie
 * point, pixel scale and a projected EPSG code in the GeoKey directory. Just enough TIFF to produce
 * realistic Sentinel-2-like sample tiles for the demo and the tests; reading is done by
 * TwelveMonkeys in the job.
 */
public final class GeoTiffWriter {
    private static final short SHORT = 3;
    private static final short LONG = 4;
    private static final short DOUBLE = 12;

    private GeoTiffWriter() {}

    /**
     * @param samples pixel-interleaved band values ({@code (y * width + x) * bands + band})
     * @param originX map x of the upper-left corner (metres in {@code epsg})
     * @param originY map y of the upper-left corner
     * @param pixelSize ground size of one pixel (metres)
     */
    public static byte[] write(
            short[] samples,
            int width,
            int height,
            int bands,
            double originX,
            double originY,
            double pixelSize,
            int epsg) {
        if (samples.length != width * height * bands) {
            throw new IllegalArgumentException(
                    "expected " + width * height * bands + " samples, got " + samples.length);
        }
        int entries = bands > 1 ? 15 : 14;
        int ifdOffset = 8;
        int ifdSize = 2 + entries * 12 + 4;
        int cursor = ifdOffset + ifdSize;
        int bitsOffset = cursor;
        cursor += align(bands * 2);
        int extraOffset = cursor;
        cursor += align((bands - 1) * 2);
        int formatOffset = cursor;
        cursor += align(bands * 2);
        int scaleOffset = cursor;
        cursor += 3 * 8;
        int tieOffset = cursor;
        cursor += 6 * 8;
        short[] geoKeys = {1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, (short) epsg};
        int geoKeysOffset = cursor;
        cursor += align(geoKeys.length * 2);
        int pixelOffset = cursor;
        int pixelBytes = samples.length * 2;

        ByteBuffer out =
                ByteBuffer.allocate(pixelOffset + pixelBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifdOffset);
        out.putShort((short) entries);
        entry(out, 256, LONG, 1, width);
        entry(out, 257, LONG, 1, height);
        entry(
                out,
                258,
                SHORT,
                bands,
                bands == 1 ? 16 : bands == 2 ? (16 | (16 << 16)) : bitsOffset);
        entry(out, 259, SHORT, 1, 1); // no compression
        entry(out, 262, SHORT, 1, 1); // BlackIsZero
        entry(out, 273, LONG, 1, pixelOffset);
        entry(out, 277, SHORT, 1, bands);
        entry(out, 278, LONG, 1, height);
        entry(out, 279, LONG, 1, pixelBytes);
        entry(out, 284, SHORT, 1, 1); // chunky (pixel-interleaved)
        if (bands > 1) {
            // Bands beyond the first are "unspecified" extra samples: multispectral, not alpha.
            entry(
                    out,
                    338,
                    SHORT,
                    bands - 1,
                    bands - 1 == 1 ? 0 : bands - 1 == 2 ? 0 : extraOffset);
        }
        entry(out, 339, SHORT, bands, bands == 1 ? 1 : bands == 2 ? (1 | (1 << 16)) : formatOffset);
        entry(out, 33550, DOUBLE, 3, scaleOffset);
        entry(out, 33922, DOUBLE, 6, tieOffset);
        entry(out, 34735, SHORT, geoKeys.length, geoKeysOffset);
        out.putInt(0); // no next IFD

        out.position(bitsOffset);
        for (int b = 0; b < bands; b++) {
            out.putShort((short) 16);
        }
        out.position(extraOffset);
        for (int b = 1; b < bands; b++) {
            out.putShort((short) 0);
        }
        out.position(formatOffset);
        for (int b = 0; b < bands; b++) {
            out.putShort((short) 1); // unsigned integer
        }
        out.position(scaleOffset);
        out.putDouble(pixelSize).putDouble(pixelSize).putDouble(0);
        out.position(tieOffset);
        out.putDouble(0)
                .putDouble(0)
                .putDouble(0)
                .putDouble(originX)
                .putDouble(originY)
                .putDouble(0);
        out.position(geoKeysOffset);
        for (short key : geoKeys) {
            out.putShort(key);
        }
        out.position(pixelOffset);
        for (short sample : samples) {
            out.putShort(sample);
        }
        return out.array();
    }

    private static void entry(ByteBuffer out, int tag, short type, int count, int value) {
        out.putShort((short) tag).putShort(type).putInt(count);
        if (type == SHORT && count == 1) {
            out.putShort((short) value).putShort((short) 0);
        } else {
            out.putInt(value);
        }
    }

    private static int align(int size) {
        return (size + 3) & ~3;
    }
}
