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
 * A scene cut into tiles without ever holding it whole: the file is read in bands of whole rows (at
 * most a tile's height, starting at multiples of the file's own strips or tiles), each line is
 * copied into the (at most two) rows of tiles covering it, and every completed row of tiles is
 * normalised and handed to a {@link PartSink} in groups, then dropped. Two rows of tiles, the
 * model's copy of one group and one band of rows are live, checked against {@code
 * limits.max-decode-memory} from the header; {@code limits.max-parts} still bounds the tiles (one
 * result part each). A 200 MB Sentinel-2-like scene is classified with 60-86 MiB of heap growth
 * (LargeSceneDrillITCase).
 *
 * <p>Rows span the whole width because TwelveMonkeys (3.12) fails on source regions narrower than a
 * tiled file (found by the GDAL reference test). A file whose strips or tiles are taller than the
 * budget allows is read in smaller bands that decode each block again, at most {@link
 * #MAX_DECODES_PER_BLOCK} times; beyond that it is refused.
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
        TiffStructure.check(source.tiff());
        ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
        try (ImageInputStream stream = source.open()) {
            reader.setInput(stream);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (!SceneTiles.applies(input, width, height)
                    || PlanarTiff.planarSamples(source.first()) > 1) {
                return null;
            }
            var rawType = reader.getRawImageType(0);
            int bands = rawType.getNumBands();
            limits.check(width, height, bands, "TIFF");
            SceneDecoder.requireBands(input, bands);
            boolean readKeepsSamples = TiffRasters.readKeepsSamples(source.first(), rawType);
            int[] xs = SceneTiles.origins(width, input.width());
            int[] ys = SceneTiles.origins(height, input.height());
            limits.checkParts((long) xs.length * ys.length, "GeoTIFF scene");
            long perPixel =
                    DecodeMemory.scene(
                            bands,
                            DataBuffer.getDataTypeSize(rawType.getSampleModel().getDataType()) / 8,
                            input.channels(),
                            false);
            // Two rows of tiles at most are open at once (the last row overlaps the one before),
            // plus the copy of one group the model call makes.
            long inputBytes = 4L * input.size();
            long openTiles =
                    2L * xs.length * inputBytes
                            + Math.min(Math.max(1, sink.maxInputs()), xs.length) * inputBytes;
            long valuesPerRow = (long) width * Math.max(bands, input.channels());
            long available = limits.maxDecodeMemory() - openTiles;
            long rowBytes = DecodeLimits.bytes(width, 1, perPixel);
            limits.checkMemory(
                    rowBytes < 0 ? -1 : openTiles + rowBytes, "a row of tiles of the TIFF");
            // Reads start at multiples of the rows the file stores together, so no strip or
            // tile is decoded twice. A block taller than the budget allows is read in smaller
            // bands, each decoding the blocks it overlaps again: up to MAX_DECODES_PER_BLOCK
            // times, beyond that (a whole compressed scene in one strip) the scene is refused.
            int grid = blockHeight(reader, source, height);
            long block = DecodeLimits.bytes(width, grid, perPixel);
            int rowsPerRead;
            if (block >= 0 && block <= available) {
                rowsPerRead =
                        rowsPerRead(available, block, grid, height, input.height(), valuesPerRow);
            } else {
                rowsPerRead = rowsPerRead(available, rowBytes, 1, height, height, valuesPerRow);
                long decodes = (grid + rowsPerRead - 1) / rowsPerRead;
                if (decodes > MAX_DECODES_PER_BLOCK) {
                    throw new DecodeException(
                            Reason.TOO_LARGE,
                            "the TIFF stores "
                                    + grid
                                    + " rows together; read in bands of "
                                    + rowsPerRead
                                    + " rows within limits.max-decode-memory, each would be"
                                    + " decoded "
                                    + decodes
                                    + " times");
                }
            }

            float[][] stretch =
                    input.stretch() == null
                            ? null
                            : percentiles(
                                    reader,
                                    readKeepsSamples,
                                    width,
                                    height,
                                    bands,
                                    rowsPerRead,
                                    rowsPerRead * rowBytes,
                                    input,
                                    limits,
                                    deadline);

            GeoTiffTags.Georeference georeference = GeoTiffTags.read(source.first(), new long[2]);
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
                float[] samples = null; // the last band's, free while the next is read
                samples =
                        readRows(
                                reader,
                                readKeepsSamples,
                                param,
                                top,
                                width,
                                rows,
                                bands,
                                input,
                                deadline);
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

    /**
     * Rows {@code top} to {@code top + rows} of the whole width as the model's channels. Whole
     * rows: TwelveMonkeys (3.12) fails on source regions narrower than a tiled file.
     */
    private static float[] readRows(
            ImageReader reader,
            boolean readKeepsSamples,
            ImageReadParam param,
            int top,
            int width,
            int rows,
            int bands,
            ModelInput input,
            DecodeDeadline deadline)
            throws IOException, DecodeException {
        param.setSourceRegion(new Rectangle(0, top, width, rows));
        Raster strip =
                deadline.read(
                        reader,
                        "TIFF rows",
                        () -> TiffRasters.read(reader, 0, param, readKeepsSamples));
        if (strip.getWidth() != width
                || strip.getHeight() != rows
                || strip.getNumBands() != bands) {
            throw new DecodeException(Reason.CORRUPT, "rows of the TIFF decoded to another size");
        }
        return RasterSamples.of(strip, input);
    }

    /** How often a band-by-band read may decode one strip or tile before a scene is refused. */
    static final int MAX_DECODES_PER_BLOCK = 16;

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
            TiffDirectory first = source.first();
            boolean compressed = first != null && first.integer(COMPRESSION, 1) != 1;
            rows = compressed ? first.integer(ROWS_PER_STRIP, height) : 1;
        }
        return (int) Math.max(1, Math.min(height, rows));
    }

    /**
     * Rows per read: whole blocks of {@code grid} rows, as many as fit {@code available} bytes but
     * no more than a tile's height (more buys nothing), at least one block; and few enough that a
     * band's samples fit one Java array.
     */
    private static int rowsPerRead(
            long available,
            long blockBytes,
            int grid,
            int height,
            int tileHeight,
            long valuesPerRow)
            throws DecodeException {
        long blocks = Math.max(1, available / Math.max(1, blockBytes));
        blocks = Math.min(blocks, Math.max(1, tileHeight / grid));
        blocks = Math.min(blocks, (Integer.MAX_VALUE - 8) / Math.max(1, valuesPerRow * grid));
        if (blocks < 1) {
            throw new DecodeException(
                    Reason.TOO_LARGE, "a block of rows of the TIFF is larger than a Java array");
        }
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
            deadline.excluding(
                    () -> {
                        try {
                            more[0] = sink.accept(inputs);
                        } catch (RuntimeException e) {
                            // Not this record's fault: never a CORRUPT verdict.
                            throw new PartSink.Failure(e);
                        }
                    });
            if (!more[0]) {
                return false; // the sink's verdict (the model failed), not the budget's
            }
            deadline.check("GeoTIFF tiles");
        }
        return true;
    }

    /**
     * Each channel's low and high stretch percentile over the whole scene, from two passes in
     * strips of full rows that fit the budget next to the selection's counters.
     */
    private static float[][] percentiles(
            ImageReader reader,
            boolean readKeepsSamples,
            int width,
            int height,
            int bands,
            int rowsPerRead,
            long bandBytes,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline)
            throws IOException, DecodeException {
        long counters = ChannelPercentiles.bytes(input.channels(), 2);
        limits.checkMemory(counters + bandBytes, "the percentile stretch of the TIFF");
        ChannelPercentiles selection =
                new ChannelPercentiles(input.channels(), (long) width * height, input.stretch());
        ImageReadParam param = reader.getDefaultReadParam();
        do {
            for (int y = 0; y < height; y += rowsPerRead) {
                float[] samples = null; // the last band's, free while the next is read
                samples =
                        readRows(
                                reader,
                                readKeepsSamples,
                                param,
                                y,
                                width,
                                Math.min(rowsPerRead, height - y),
                                bands,
                                input,
                                deadline);
                selection.count(samples);
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
