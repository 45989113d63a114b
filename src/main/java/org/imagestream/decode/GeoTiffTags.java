package org.imagestream.decode;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * GeoTIFF georeferencing of a TIFF's or BigTIFF's first image, read from its tags: ModelTiepointTag
 * (33922), ModelPixelScaleTag (33550) and the EPSG code from the GeoKeyDirectoryTag (34735:
 * ProjectedCSTypeGeoKey 3072, else GeographicTypeGeoKey 2048). Gives the image's bounds in map
 * units. Anything missing or malformed yields no georeferencing, never an error: an
 * un-georeferenced TIFF is still an image.
 */
final class GeoTiffTags {
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
            return read(TiffDirectory.first(tiff), size);
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    /** As above, from the file's first directory (null when it has none to read). */
    static Georeference read(TiffDirectory first, long[] size) {
        try {
            if (first == null) {
                return null;
            }
            long width = first.integer(TiffDirectory.IMAGE_WIDTH, -1);
            long height = first.integer(TiffDirectory.IMAGE_LENGTH, -1);
            double[] scale = first.doubles(MODEL_PIXEL_SCALE);
            double[] tiepoint = first.doubles(MODEL_TIEPOINT);
            int[] geoKeys = first.shorts(GEO_KEY_DIRECTORY);
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
