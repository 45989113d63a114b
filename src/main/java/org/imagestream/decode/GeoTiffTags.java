package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * GeoTIFF georeferencing of a classic TIFF's first image, read from its tags: ModelTiepointTag
 * (33922), ModelPixelScaleTag (33550) and the EPSG code from the GeoKeyDirectoryTag (34735:
 * ProjectedCSTypeGeoKey 3072, else GeographicTypeGeoKey 2048). Gives the image's bounds in map
 * units. Anything missing or malformed yields no georeferencing, never an error: an
 * un-georeferenced TIFF is still an image.
 */
final class GeoTiffTags {
    private static final int IMAGE_WIDTH = 256;
    private static final int IMAGE_LENGTH = 257;
    private static final int MODEL_PIXEL_SCALE = 33550;
    private static final int MODEL_TIEPOINT = 33922;
    private static final int GEO_KEY_DIRECTORY = 34735;

    private GeoTiffTags() {}

    /**
     * Where a raster lies: its upper-left corner, pixel size in map units and EPSG code (-1 when
     * the GeoKey directory names none).
     */
    record Georeference(int epsg, double minX, double maxY, double scaleX, double scaleY) {
        /** {@code crs}, {@code bounds} (minX,minY,maxX,maxY) and {@code pixel_size}. */
        Map<String, String> extras(long width, long height) {
            Map<String, String> extras = new LinkedHashMap<>();
            if (epsg > 0) {
                extras.put("crs", "EPSG:" + epsg);
            }
            extras.put("bounds", bounds(0, 0, width, height));
            extras.put("pixel_size", number(scaleX) + "," + number(scaleY));
            return extras;
        }

        /** Bounds (minX,minY,maxX,maxY) of the pixel window at column x, row y. */
        String bounds(long x, long y, long width, long height) {
            double left = minX + x * scaleX;
            double top = maxY - y * scaleY;
            return String.format(
                    Locale.ROOT,
                    "%s,%s,%s,%s",
                    number(left),
                    number(top - height * scaleY),
                    number(left + width * scaleX),
                    number(top));
        }
    }

    /** {@code crs}, {@code bounds} (minX,minY,maxX,maxY) and {@code pixel_size}, or empty. */
    static Map<String, String> georeferencing(byte[] tiff) {
        Map<String, String> extras = new LinkedHashMap<>();
        long[] size = new long[2];
        Georeference georeference = read(tiff, size);
        return georeference == null ? extras : georeference.extras(size[0], size[1]);
    }

    /**
     * The georeference of a TIFF's first image, or null.
     *
     * @param size receives the image's width and height
     */
    static Georeference read(byte[] tiff, long[] size) {
        try {
            if (tiff.length < 8 || (tiff[0] != 'I' && tiff[0] != 'M')) {
                return null;
            }
            ByteBuffer in =
                    ByteBuffer.wrap(tiff)
                            .order(tiff[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            if (in.getShort(2) != 42) {
                return null; // BigTIFF or not a TIFF
            }
            int ifd = in.getInt(4);
            int entries = Short.toUnsignedInt(in.getShort(ifd));
            long width = -1;
            long height = -1;
            double[] scale = null;
            double[] tiepoint = null;
            int[] geoKeys = null;
            for (int e = 0; e < entries; e++) {
                int entry = ifd + 2 + e * 12;
                int tag = Short.toUnsignedInt(in.getShort(entry));
                int type = Short.toUnsignedInt(in.getShort(entry + 2));
                int count = in.getInt(entry + 4);
                switch (tag) {
                    case IMAGE_WIDTH -> width = integer(in, entry, type);
                    case IMAGE_LENGTH -> height = integer(in, entry, type);
                    case MODEL_PIXEL_SCALE -> scale = doubles(in, in.getInt(entry + 8), count);
                    case MODEL_TIEPOINT -> tiepoint = doubles(in, in.getInt(entry + 8), count);
                    case GEO_KEY_DIRECTORY -> geoKeys = shorts(in, entry, count);
                    default -> {}
                }
            }
            if (scale == null
                    || tiepoint == null
                    || scale.length < 2
                    || tiepoint.length < 6
                    || width <= 0
                    || height <= 0) {
                return null;
            }
            size[0] = width;
            size[1] = height;
            return new Georeference(
                    epsg(geoKeys),
                    tiepoint[3] - tiepoint[0] * scale[0],
                    tiepoint[4] + tiepoint[1] * scale[1],
                    scale[0],
                    scale[1]);
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static long integer(ByteBuffer in, int entry, int type) {
        return type == 3
                ? Short.toUnsignedInt(in.getShort(entry + 8))
                : Integer.toUnsignedLong(in.getInt(entry + 8));
    }

    private static double[] doubles(ByteBuffer in, int offset, int count) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = in.getDouble(offset + i * 8);
        }
        return values;
    }

    private static int[] shorts(ByteBuffer in, int entry, int count) {
        int offset = count <= 2 ? entry + 8 : in.getInt(entry + 8);
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = Short.toUnsignedInt(in.getShort(offset + i * 2));
        }
        return values;
    }

    /** ProjectedCSTypeGeoKey, else GeographicTypeGeoKey, when stored inline in the directory. */
    private static int epsg(int[] keys) {
        if (keys == null || keys.length < 4) {
            return -1;
        }
        int projected = -1;
        int geographic = -1;
        for (int k = 0; k < keys[3] && 4 + k * 4 + 3 < keys.length; k++) {
            int id = keys[4 + k * 4];
            int location = keys[4 + k * 4 + 1];
            int value = keys[4 + k * 4 + 3];
            if (location == 0 && id == 3072) {
                projected = value;
            } else if (location == 0 && id == 2048) {
                geographic = value;
            }
        }
        return projected > 0 ? projected : geographic;
    }
}
