package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.imagestream.inference.ModelSpec;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SyntheticScenes;
import org.imagestream.storage.ResultReader.StoredPart;
import org.imagestream.storage.StoredResult;
import org.imagestream.training.BandMeanModel;

/**
 * A 13-band 16-bit scene in four quadrants, split at column {@code splitX} and row {@code splitY}:
 * top left and bottom right repeat a synthetic water patch, the other two an urban one (64 x 64
 * each); and the label a {@link BandMeanModel} gives each tile, worked out here by hand: a tile's
 * channel means are the patches' means weighted by the share of its pixels in water quadrants
 * (exact when every part of the tile on either side of a split is whole periods of 64, which {@link
 * #assertTiles} checks), and the model's boundary lies halfway between the two patches' means. A
 * tile cut from the wrong rows or columns gets the other label.
 */
final class SplitScene {
    private static final int PERIOD = 64;
    private static final int[] BANDS = {4, 3, 2};
    private static final List<String> LABELS = List.of("water", "urban");

    private final int width;
    private final int height;
    private final int splitX;
    private final int splitY;
    private final short[] water;
    private final short[] urban;

    SplitScene(int width, int height, int splitX, int splitY) {
        this.width = width;
        this.height = height;
        this.splitX = splitX;
        this.splitY = splitY;
        water = SyntheticScenes.remoteSensingPatch(0, PERIOD, new Random(5));
        urban = SyntheticScenes.remoteSensingPatch(3, PERIOD, new Random(6));
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    byte[] tiff() {
        int bands = SyntheticScenes.SENTINEL2_BANDS;
        short[] samples = new short[width * height * bands];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                System.arraycopy(
                        (x < splitX) == (y < splitY) ? water : urban,
                        ((y % PERIOD) * PERIOD + (x % PERIOD)) * bands,
                        samples,
                        (y * width + x) * bands,
                        bands);
            }
        }
        return GeoTiffWriter.write(samples, width, height, bands, 500_000, 5_800_000, 10, 32633);
    }

    /** Reflectance (digital number / 10000) of a patch, averaged per model channel. */
    private static double[] means(short[] patch) {
        int bands = SyntheticScenes.SENTINEL2_BANDS;
        double[] means = new double[BANDS.length];
        for (int c = 0; c < BANDS.length; c++) {
            double sum = 0;
            for (int p = 0; p < PERIOD * PERIOD; p++) {
                sum += Short.toUnsignedInt(patch[p * bands + BANDS[c] - 1]);
            }
            means[c] = sum / (PERIOD * PERIOD) / 10_000.0;
        }
        return means;
    }

    private double[] weights() {
        double[] water = means(this.water);
        double[] urban = means(this.urban);
        double[] weights = new double[BANDS.length];
        for (int c = 0; c < BANDS.length; c++) {
            weights[c] = urban[c] - water[c];
        }
        return weights;
    }

    private double threshold() {
        double[] water = means(this.water);
        double[] urban = means(this.urban);
        double[] weights = weights();
        double threshold = 0;
        for (int c = 0; c < BANDS.length; c++) {
            threshold += weights[c] * (water[c] + urban[c]) / 2;
        }
        return threshold;
    }

    /** The model for tiles of {@code size} x {@code size}, exported into {@code directory}. */
    ModelSpec model(Path directory, int size) throws IOException {
        double[] weights = weights();
        float[] w = new float[weights.length];
        for (int c = 0; c < w.length; c++) {
            w[c] = (float) weights[c];
        }
        return BandMeanModel.export(directory, size, BANDS, w, (float) threshold(), LABELS);
    }

    /** Tile origins along an axis: every {@code tile}, the last moved inward to the edge. */
    private static int[] origins(int size, int tile) {
        int[] origins = new int[(size + tile - 1) / tile];
        for (int i = 0; i < origins.length; i++) {
            origins[i] = Math.min(i * tile, size - tile);
        }
        return origins;
    }

    /** Of a tile along one axis: its share before the split, checked to be whole periods. */
    private static double shareBefore(int origin, int tile, int split, String axis) {
        int before = Math.max(0, Math.min(split, origin + tile) - origin);
        int after = tile - before;
        assertThat(before % PERIOD).as("whole periods before the %s split", axis).isZero();
        assertThat(after % PERIOD).as("whole periods after the %s split", axis).isZero();
        return (double) before / tile;
    }

    /** What the model answers for a tile at ({@code x}, {@code y}). */
    private String expectedLabel(int x, int y, int tile) {
        double left = shareBefore(x, tile, splitX, "column");
        double top = shareBefore(y, tile, splitY, "row");
        double share = left * top + (1 - left) * (1 - top); // in water quadrants
        assertThat(2 * share).as("tile (%d,%d) has a majority", x, y).isNotEqualTo(1.0);
        double[] water = means(this.water);
        double[] urban = means(this.urban);
        double[] weights = weights();
        double score = 0;
        for (int c = 0; c < BANDS.length; c++) {
            score += weights[c] * (share * water[c] + (1 - share) * urban[c]);
        }
        return score > threshold() ? "urban" : "water";
    }

    /** The stored scene row and its parts against the tiles and labels worked out here. */
    void assertTiles(StoredResult row, List<StoredPart> parts, int tile) {
        int[] xs = origins(width, tile);
        int[] ys = origins(height, tile);
        assertThat(row.extras()).containsEntry("tiles", xs.length + "x" + ys.length);
        assertThat(parts).hasSize(xs.length * ys.length);
        int urbanTiles = 0;
        int part = 0;
        for (int y : ys) {
            for (int x : xs) {
                StoredPart stored = parts.get(part);
                assertThat(stored.part()).isEqualTo(part);
                assertThat(stored.extras())
                        .containsEntry("x", Integer.toString(x))
                        .containsEntry("y", Integer.toString(y))
                        .containsEntry("width", Integer.toString(tile))
                        .containsKey("bounds");
                String expected = expectedLabel(x, y, tile);
                assertThat(stored.labels().get(0))
                        .as("label of tile (%d,%d)", x, y)
                        .isEqualTo(expected);
                urbanTiles += expected.equals("urban") ? 1 : 0;
                part++;
            }
        }
        // The scene's scores: the share of tiles per top label.
        int waterTiles = parts.size() - urbanTiles;
        assertThat(waterTiles).isNotEqualTo(urbanTiles);
        String top = waterTiles > urbanTiles ? "water" : "urban";
        assertThat(row.topLabel()).isEqualTo(top);
        assertThat(row.topScore())
                .isEqualTo((float) Math.max(waterTiles, urbanTiles) / parts.size());
    }
}
