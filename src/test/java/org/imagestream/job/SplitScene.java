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
 * A 13-band 16-bit scene whose columns left of {@code split} repeat a synthetic water patch and the
 * rest an urban one (64 x 64 each), and the label a {@link BandMeanModel} gives each tile, worked
 * out here by hand: a tile's channel means are the patches' means weighted by the share of its
 * columns on each side (exact when both shares are whole periods of 64, which {@link #assertTiles}
 * checks), and the model's boundary lies halfway between the two patches' means.
 */
final class SplitScene {
    private static final int PERIOD = 64;
    private static final int[] BANDS = {4, 3, 2};
    private static final List<String> LABELS = List.of("water", "urban");

    private final int width;
    private final int height;
    private final int split;
    private final short[] water;
    private final short[] urban;

    SplitScene(int width, int height, int split) {
        this.width = width;
        this.height = height;
        this.split = split;
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
                        x < split ? water : urban,
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

    /** What the model answers for a tile starting at column {@code x}. */
    private String expectedLabel(int x, int tile) {
        int left = Math.max(0, Math.min(split, x + tile) - x);
        int right = tile - left;
        assertThat(left % PERIOD).as("whole periods on the left of tile %d", x).isZero();
        assertThat(right % PERIOD).as("whole periods on the right of tile %d", x).isZero();
        assertThat(2 * left).as("tile %d has a majority side", x).isNotEqualTo(tile);
        double share = (double) left / tile;
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
                String expected = expectedLabel(x, tile);
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
