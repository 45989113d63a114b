package org.imagestream.decode;

import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import java.awt.Rectangle;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.imagestream.decode.DecodeException.Reason;

/**
 * A scene cut into tiles without ever holding it whole: the file is read in bands of whole rows
 * (aligned to its strips or tiles, as many rows as fit the budget), each band's rows are copied
 * into the tiles that cover them, and every completed row of tiles is normalised and handed to a
 * {@link PartSink} in groups, then dropped. At most two rows of tiles (the last overlaps the one
 * before) and one band of rows are live, both checked against {@code limits.max-decode-memory} from
 * the header; {@code limits.max-parts} still bounds the tiles (one result part each). A 200 MB
 * Sentinel-2 scene is classified with tens of MB of heap.
 *
 * <p>Rows span the whole width because TwelveMonkeys (3.12) fails on source regions narrower than a
 * tiled file (found by the GDAL reference test), and so that no strip or tile is decoded twice.
 *
 * <p>A model with a percentile stretch needs the scene's percentiles before its first tile: two
 * more passes over the rows select them exactly ({@link ChannelPercentiles}), so every tile is
 * stretched as the in-memory path stretches the whole scene.
 *
 * <p>Band-by-band (planar) TIFFs are not read this way: their band views are rewritten copies of
 * the file ({@link PlanarTiff}), so they keep the in-memory path and its limits.
 */
final class SceneTileStream {
    private SceneTileStream() {}

    /**
     * Reads and hands over every tile, or returns null when the scene is not tiled (resampled, or
     * planar): the caller decodes it whole then.
     *
     * @return the scene's geometry, extras and parts, without pixels (the sink had them)
     */
    static DecodedPixels read(
            SceneDecoder.Source source,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline,
            PartSink sink)
            throws IOException, DecodeException {
        ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
        try (ImageInputStream stream = source.open()) {
            reader.setInput(stream);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (!SceneTiles.applies(input, width, height)
                    || PlanarTiff.planarSamples(source.whole()) > 1) {
                return null;
            }
            var rawType = reader.getRawImageType(0);
            int bands = rawType.getNumBands();
            limits.check(width, height, bands, "TIFF");
            SceneDecoder.requireBands(input, bands);
            int[] xs = SceneTiles.origins(width, input.width());
            int[] ys = SceneTiles.origins(height, input.height());
            limits.checkParts((long) xs.length * ys.length, "GeoTIFF scene");
            long perPixel =
                    DecodeMemory.scene(
                            bands,
                            DataBuffer.getDataTypeSize(rawType.getSampleModel().getDataType()) / 8,
                            input.channels(),
                            false);
            // Two rows of tiles at most are open at once (the last row overlaps the one before).
            long openTiles = 2L * xs.length * 4L * input.size();
            int grid = blockHeight(reader, source, height);
            if (openTiles + DecodeLimits.bytes(width, grid, perPixel) > limits.maxDecodeMemory()
                    || DecodeLimits.bytes(width, grid, perPixel) < 0) {
                // A strip or tile taller than the budget allows (a whole scene in one strip):
                // read fewer rows anyway; a compressed block is then decoded once per read,
                // which the decode budget bounds.
                grid = 1;
            }
            long block = DecodeLimits.bytes(width, grid, perPixel);
            limits.checkMemory(openTiles + block, "a row of tiles of the TIFF");
            int rowsPerRead =
                    rowsPerRead(limits.maxDecodeMemory() - openTiles, block, grid, height);

            float[][] stretch =
                    input.stretch() == null
                            ? null
                            : percentiles(
                                    reader, width, height, block, grid, input, limits, deadline);

            GeoTiffTags.Georeference georeference = GeoTiffTags.read(source.whole(), new long[2]);
            Map<String, String> extras =
                    SceneTiles.sceneExtras(
                            georeference == null ? Map.of() : georeference.extras(width, height),
                            xs,
                            ys);
            DecodedPixels result =
                    new DecodedPixels(
                            null,
                            width,
                            height,
                            extras,
                            xs.length * ys.length,
                            SceneTiles.partExtras(xs, ys, input, georeference));
            int tileHeight = input.height();
            int channels = input.channels();
            int tileRowValues = input.width() * channels;
            float[][][] open = new float[ys.length][][];
            int nextToHand = 0;
            ImageReadParam param = reader.getDefaultReadParam();
            for (int top = 0; top < height; top += rowsPerRead) {
                int rows = Math.min(rowsPerRead, height - top);
                // Whole rows of the scene: TwelveMonkeys (3.12) fails on regions narrower than a
                // tiled file, and a file's strips and tiles are decoded once per read this way.
                param.setSourceRegion(new Rectangle(0, top, width, rows));
                Raster strip =
                        deadline.read(reader, "TIFF rows", () -> reader.readRaster(0, param));
                if (strip.getWidth() != width
                        || strip.getHeight() != rows
                        || strip.getNumBands() != bands) {
                    throw new DecodeException(
                            Reason.CORRUPT, "rows of the TIFF decoded to another size");
                }
                float[] samples = SceneDecoder.modelSamples(strip, input);
                if (stretch != null) {
                    input.stretchValues(samples, stretch[0], stretch[1]);
                }
                // Line by line, each into the (at most two) rows of tiles covering it; a row of
                // tiles is handed over as soon as its last line is in, so no more than two are
                // ever open, however many lines one read brings.
                for (int line = top; line < top + rows; line++) {
                    for (int i = nextToHand; i < ys.length && ys[i] <= line; i++) {
                        if (open[i] == null) {
                            open[i] = new float[xs.length][input.size()];
                        }
                        for (int j = 0; j < xs.length; j++) {
                            System.arraycopy(
                                    samples,
                                    ((line - top) * width + xs[j]) * channels,
                                    open[i][j],
                                    (line - ys[i]) * tileRowValues,
                                    tileRowValues);
                        }
                    }
                    while (nextToHand < ys.length && ys[nextToHand] + tileHeight - 1 == line) {
                        float[][] tiles = open[nextToHand];
                        open[nextToHand] = null;
                        nextToHand++;
                        if (!handOver(sink, tiles, input, deadline)) {
                            return result;
                        }
                    }
                }
            }
            return result;
        } finally {
            reader.dispose();
        }
    }

    private static final int COMPRESSION = 259;
    private static final int ROWS_PER_STRIP = 278;

    /**
     * Rows the file stores together (a TIFF tile's height, or RowsPerStrip of a compressed file):
     * reads start at multiples of it, so no strip or tile is decoded twice. Uncompressed strips are
     * read row by row directly: 1.
     */
    private static int blockHeight(ImageReader reader, SceneDecoder.Source source, int height)
            throws IOException {
        long rows;
        if (reader.isImageTiled(0)) {
            rows = reader.getTileHeight(0);
        } else {
            TiffDirectory first = TiffDirectory.first(source.whole());
            boolean compressed = first != null && first.integer(COMPRESSION, 1) != 1;
            rows = compressed ? first.integer(ROWS_PER_STRIP, height) : 1;
        }
        return (int) Math.max(1, Math.min(height, rows));
    }

    /** The most whole blocks of rows that fit {@code available} bytes, at least one block. */
    private static int rowsPerRead(long available, long blockBytes, int grid, int height) {
        long blocks = Math.max(1, available / Math.max(1, blockBytes));
        return (int) Math.min(height, blocks * grid);
    }

    /**
     * A complete row of tiles, normalised, in groups of the sink's size. The sink's time (a model
     * call) is not the decode's: the budget pauses meanwhile.
     */
    private static boolean handOver(
            PartSink sink, float[][] tiles, ModelInput input, DecodeDeadline deadline)
            throws DecodeException {
        int group = Math.max(1, sink.maxInputs());
        for (int start = 0; start < tiles.length; start += group) {
            List<float[]> inputs = new ArrayList<>(group);
            for (int j = start; j < Math.min(tiles.length, start + group); j++) {
                inputs.add(input.normalize(tiles[j]));
            }
            boolean[] more = new boolean[1];
            deadline.excluding(() -> more[0] = sink.accept(inputs));
            deadline.check("GeoTIFF tiles");
            if (!more[0]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Each channel's low and high stretch percentile over the whole scene, from two passes in
     * strips of full rows that fit the budget next to the selection's counters.
     */
    private static float[][] percentiles(
            ImageReader reader,
            int width,
            int height,
            long blockBytes,
            int grid,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline)
            throws IOException, DecodeException {
        long counters = ChannelPercentiles.bytes(input.channels(), 2);
        limits.checkMemory(counters + blockBytes, "the percentile stretch of the TIFF");
        int rowsPerRead =
                rowsPerRead(limits.maxDecodeMemory() - counters, blockBytes, grid, height);
        ChannelPercentiles selection =
                new ChannelPercentiles(input.channels(), (long) width * height, input.stretch());
        ImageReadParam param = reader.getDefaultReadParam();
        do {
            for (int y = 0; y < height; y += rowsPerRead) {
                param.setSourceRegion(
                        new Rectangle(0, y, width, Math.min(rowsPerRead, height - y)));
                Raster strip =
                        deadline.read(reader, "TIFF strip", () -> reader.readRaster(0, param));
                selection.count(SceneDecoder.modelSamples(strip, input));
            }
        } while (selection.endPass());
        float[][] stretch = new float[2][input.channels()];
        for (int c = 0; c < input.channels(); c++) {
            stretch[0][c] = selection.value(c, 0);
            stretch[1][c] = selection.value(c, 1);
        }
        return stretch;
    }
}
