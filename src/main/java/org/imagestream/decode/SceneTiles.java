package org.imagestream.decode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts a remote-sensing scene into tiles of the model's input size, at full resolution. Tiles start
 * every tile-width (tile-height) pixels; where the scene is not a multiple of the tile size, the
 * last tile of a row (column) is moved inward to end at the scene's edge, overlapping its
 * neighbour, so every tile holds real pixels and none is padded or resampled.
 */
final class SceneTiles {
    private SceneTiles() {}

    /** Tiling applies to a scene at least as large as the input and larger in one dimension. */
    static boolean applies(ModelInput input, long width, long height) {
        return input.tiling() == SceneTiling.TILE
                && width >= input.width()
                && height >= input.height()
                && (width > input.width() || height > input.height());
    }

    static long count(ModelInput input, long width, long height) {
        return ceilDiv(width, input.width()) * ceilDiv(height, input.height());
    }

    /** Tile origins along one axis. */
    static int[] origins(int size, int tile) {
        int[] origins = new int[(int) ceilDiv(size, tile)];
        for (int i = 0; i < origins.length; i++) {
            origins[i] = Math.min(i * tile, size - tile);
        }
        return origins;
    }

    /**
     * @param samples the scene, row-major height x width x channels, scaled and stretched
     * @param georeference the scene's, or null: tiles then carry pixel windows only
     */
    static DecodedPixels cut(
            float[] samples,
            int width,
            int height,
            ModelInput input,
            Map<String, String> sceneExtras,
            GeoTiffTags.Georeference georeference) {
        int tileWidth = input.width();
        int tileHeight = input.height();
        int channels = input.channels();
        int[] xs = origins(width, tileWidth);
        int[] ys = origins(height, tileHeight);
        int parts = xs.length * ys.length;
        float[] tiles = new float[parts * input.size()];
        int rowValues = tileWidth * channels;
        int part = 0;
        for (int y : ys) {
            for (int x : xs) {
                int offset = part * input.size();
                for (int row = 0; row < tileHeight; row++) {
                    System.arraycopy(
                            samples,
                            ((y + row) * width + x) * channels,
                            tiles,
                            offset + row * rowValues,
                            rowValues);
                }
                part++;
            }
        }
        return new DecodedPixels(
                tiles,
                width,
                height,
                sceneExtras(sceneExtras, xs, ys),
                parts,
                partExtras(xs, ys, input, georeference));
    }

    /** The scene's extras plus its tile grid ({@code tiles}: columns x rows). */
    static Map<String, String> sceneExtras(Map<String, String> sceneExtras, int[] xs, int[] ys) {
        Map<String, String> extras = new LinkedHashMap<>(sceneExtras);
        extras.put("tiles", xs.length + "x" + ys.length);
        return extras;
    }

    /** Each tile's window, and its map bounds when the scene is georeferenced, in part order. */
    static List<Map<String, String>> partExtras(
            int[] xs, int[] ys, ModelInput input, GeoTiffTags.Georeference georeference) {
        int tileWidth = input.width();
        int tileHeight = input.height();
        List<Map<String, String>> partExtras = new ArrayList<>(xs.length * ys.length);
        for (int y : ys) {
            for (int x : xs) {
                Map<String, String> extras = new LinkedHashMap<>();
                extras.put("x", Integer.toString(x));
                extras.put("y", Integer.toString(y));
                extras.put("width", Integer.toString(tileWidth));
                extras.put("height", Integer.toString(tileHeight));
                if (georeference != null) {
                    extras.put("bounds", georeference.bounds(x, y, tileWidth, tileHeight));
                }
                partExtras.add(extras);
            }
        }
        return partExtras;
    }

    private static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }
}
