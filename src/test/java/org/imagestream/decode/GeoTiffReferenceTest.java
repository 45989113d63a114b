package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imagestream.model.Domain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The remote-sensing decoder on GeoTIFFs written by GDAL 3.6's gdal_translate in several layouts
 * (13-band 16-bit tiled LZW with predictor, 4-band 16-bit striped Deflate band-interleaved,
 * float32, signed 16-bit tiled Deflate, 8-bit LZW; BigTIFF tiled, striped and band-interleaved;
 * cloud-optimised GeoTIFFs with overviews, classic and BigTIFF) against GDAL's own decoding of the
 * same files and its reading of their georeferencing ({@code
 * src/test/resources/geotiff/regenerate.sh}).
 */
class GeoTiffReferenceTest {
    /** One line of layouts.txt: what gdalinfo says about a file. */
    record Layout(
            String name,
            int width,
            int height,
            int bands,
            String type,
            double minX,
            double minY,
            double maxX,
            double maxY,
            int epsg) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Layout> layouts() throws IOException {
        return new String(resource("layouts.txt"), StandardCharsets.US_ASCII)
                .lines()
                .map(line -> line.split(" "))
                .map(
                        f ->
                                new Layout(
                                        f[0],
                                        Integer.parseInt(f[1]),
                                        Integer.parseInt(f[2]),
                                        Integer.parseInt(f[3]),
                                        f[4],
                                        Double.parseDouble(f[5]),
                                        Double.parseDouble(f[6]),
                                        Double.parseDouble(f[7]),
                                        Double.parseDouble(f[8]),
                                        Integer.parseInt(f[9])));
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void shouldDecodeEverySampleOfEveryBandExactlyAsGdalDoes(Layout layout) throws Exception {
        Raster raster = SceneDecoder.readTiffRaster(resource(layout.name + ".tif"));
        assertThat(raster.getWidth()).isEqualTo(layout.width);
        assertThat(raster.getHeight()).isEqualTo(layout.height);
        assertThat(raster.getNumBands()).isEqualTo(layout.bands);
        float[] ours =
                raster.getPixels(
                        raster.getMinX(),
                        raster.getMinY(),
                        layout.width,
                        layout.height,
                        (float[]) null);
        float[] gdal = samples(resource(layout.name + ".bip"), layout.type);
        assertThat(ours).hasSameSizeAs(gdal);
        for (int i = 0; i < gdal.length; i++) {
            if (ours[i] != gdal[i]) {
                int pixel = i / layout.bands;
                throw new AssertionError(
                        String.format(
                                "%s: sample (%d,%d) band %d is %s, GDAL reads %s",
                                layout.name,
                                pixel % layout.width,
                                pixel / layout.width,
                                i % layout.bands + 1,
                                ours[i],
                                gdal[i]));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void shouldCarryGdalsBoundsAndEpsgCodeIntoTheResult(Layout layout) throws Exception {
        Map<String, String> extras = GeoTiffTags.georeferencing(resource(layout.name + ".tif"));
        assertThat(extras).containsEntry("crs", "EPSG:" + layout.epsg);
        String[] bounds = extras.get("bounds").split(",");
        double tolerance = Math.abs(layout.maxX - layout.minX) * 1e-9;
        assertThat(Double.parseDouble(bounds[0])).isCloseTo(layout.minX, within(tolerance));
        assertThat(Double.parseDouble(bounds[1])).isCloseTo(layout.minY, within(tolerance));
        assertThat(Double.parseDouble(bounds[2])).isCloseTo(layout.maxX, within(tolerance));
        assertThat(Double.parseDouble(bounds[3])).isCloseTo(layout.maxY, within(tolerance));
    }

    /** Through the job's decode path: 16x16 tiles whose samples are GDAL's, with bounds. */
    @ParameterizedTest
    @MethodSource("layouts")
    void shouldTileEveryLayoutIntoGdalsSamples(Layout layout) throws Exception {
        ModelInput input = new ModelInput(16, 16, layout.bands, null, 1f, null, null);
        DecodedPixels decoded =
                ImageDecoders.decode(Domain.REMOTE_SENSING, resource(layout.name + ".tif"), input);
        float[] gdal = samples(resource(layout.name + ".bip"), layout.type);
        int[] xs = origins(layout.width, 16);
        int[] ys = origins(layout.height, 16);
        assertThat(decoded.parts()).isEqualTo(xs.length * ys.length);
        int part = 0;
        for (int y0 : ys) {
            for (int x0 : xs) {
                assertThat(decoded.partExtras().get(part)).containsKey("bounds");
                for (int row = 0; row < 16; row += 3) {
                    for (int col = 0; col < 16; col += 5) {
                        for (int b = 0; b < layout.bands; b++) {
                            assertThat(
                                            decoded.pixels()[
                                                    part * input.size()
                                                            + (row * 16 + col) * layout.bands
                                                            + b])
                                    .isEqualTo(
                                            gdal[
                                                    ((y0 + row) * layout.width + x0 + col)
                                                                    * layout.bands
                                                            + b]);
                        }
                    }
                }
                part++;
            }
        }
    }

    /**
     * Through the classify operator's path: the file read in bands of whole rows (several per file:
     * a band is at most a tile's height or one of the file's own blocks), every tile handed over in
     * groups (of at most 5 here) equals GDAL's samples at the window where a tile must be, with
     * GDAL's map bounds; band-interleaved files keep the in-memory path and hand nothing over.
     */
    @ParameterizedTest
    @MethodSource("layouts")
    void shouldReadEveryTileAsItsOwnRegionIntoGdalsSamples(Layout layout) throws Exception {
        ModelInput input = new ModelInput(16, 16, layout.bands, null, 1f, null, null);
        CollectingPartSink sink = new CollectingPartSink(5);
        List<float[]> tiles = sink.inputs;
        byte[] tiff = resource(layout.name + ".tif");
        DecodedPixels decoded =
                ImageDecoders.decode(
                        Domain.REMOTE_SENSING, tiff, input, DecodeLimits.DEFAULT, null, sink);
        int[] xs = origins(layout.width, 16);
        int[] ys = origins(layout.height, 16);
        assertThat(decoded.parts()).isEqualTo(xs.length * ys.length);
        if (layout.name.contains("planar")) {
            assertThat(tiles).isEmpty();
            assertThat(decoded.pixels()).hasSize(decoded.parts() * input.size());
            return;
        }
        assertThat(decoded.pixels()).isNull();
        assertThat(tiles).hasSize(decoded.parts());
        assertThat(sink.groups).allMatch(size -> size <= 5);
        double pixelX = (layout.maxX - layout.minX) / layout.width;
        double pixelY = (layout.maxY - layout.minY) / layout.height;
        double tolerance = Math.abs(layout.maxX - layout.minX) * 1e-9;
        float[] gdal = samples(resource(layout.name + ".bip"), layout.type);
        int part = 0;
        for (int y0 : ys) {
            for (int x0 : xs) {
                float[] tile = tiles.get(part);
                // The tile's window and its map bounds from GDAL's corner coordinates.
                Map<String, String> extras = decoded.partExtras().get(part);
                assertThat(extras)
                        .containsEntry("x", Integer.toString(x0))
                        .containsEntry("y", Integer.toString(y0));
                String[] bounds = extras.get("bounds").split(",");
                assertThat(Double.parseDouble(bounds[0]))
                        .isCloseTo(layout.minX + x0 * pixelX, within(tolerance));
                assertThat(Double.parseDouble(bounds[3]))
                        .isCloseTo(layout.maxY - y0 * pixelY, within(tolerance));
                assertThat(Double.parseDouble(bounds[2]))
                        .isCloseTo(layout.minX + (x0 + 16) * pixelX, within(tolerance));
                assertThat(Double.parseDouble(bounds[1]))
                        .isCloseTo(layout.maxY - (y0 + 16) * pixelY, within(tolerance));
                for (int row = 0; row < 16; row++) {
                    for (int col = 0; col < 16; col++) {
                        for (int b = 0; b < layout.bands; b++) {
                            float expected =
                                    gdal[((y0 + row) * layout.width + x0 + col) * layout.bands + b];
                            if (tile[(row * 16 + col) * layout.bands + b] != expected) {
                                throw new AssertionError(
                                        String.format(
                                                "%s tile %d: sample (%d,%d) band %d is %s, GDAL"
                                                        + " reads %s",
                                                layout.name,
                                                part,
                                                x0 + col,
                                                y0 + row,
                                                b,
                                                tile[(row * 16 + col) * layout.bands + b],
                                                expected));
                            }
                        }
                    }
                }
                part++;
            }
        }
    }

    /**
     * A cloud-optimised GeoTIFF resampled to the model input is read from its overview level
     * closest to (not below) the input: its samples are GDAL's decoding of that level ({@code
     * gdal_translate -ovr}); an input larger than every overview reads full resolution. The size
     * the result records stays the full scene's.
     */
    @ParameterizedTest
    @CsvSource({
        "cog-4band-uint16-deflate, 40, 40, ovr0, 64, 48",
        "cog-4band-uint16-deflate, 20, 20, ovr1, 32, 24",
        "cog-4band-uint16-deflate, 65, 40, full, 128, 96",
        "cog-bigtiff-3band-byte, 64, 48, ovr0, 64, 48",
        "cog-bigtiff-3band-byte, 16, 24, ovr1, 32, 24",
    })
    void shouldReadTheOverviewClosestToTheModelInput(
            String name, int inputWidth, int inputHeight, String level, int width, int height)
            throws Exception {
        Layout layout = layouts().filter(l -> l.name.equals(name)).findFirst().orElseThrow();
        byte[] tiff = resource(name + ".tif");
        ModelInput resize =
                new ModelInput(inputHeight, inputWidth, layout.bands, null, 1f, null, null)
                        .withTiling(SceneTiling.RESIZE);
        long[] declared = new long[2];
        Raster raster =
                SceneDecoder.readTiffRaster(
                        SceneDecoder.Source.of(tiff),
                        DecodeLimits.DEFAULT,
                        resize,
                        new DecodeDeadline(DecodeLimits.DEFAULT.timeBudgetMillis()),
                        declared);
        assertThat(declared).containsExactly(layout.width, layout.height);
        assertThat(raster.getWidth()).isEqualTo(width);
        assertThat(raster.getHeight()).isEqualTo(height);
        float[] gdal =
                samples(
                        resource(name + (level.equals("full") ? "" : "." + level) + ".bip"),
                        layout.type);
        float[] ours =
                raster.getPixels(raster.getMinX(), raster.getMinY(), width, height, (float[]) null);
        assertThat(ours).isEqualTo(gdal);
        // The same file as a streamed scene reads it: a memory-mapped local copy, pixels through
        // a file stream, never the bytes in the heap.
        java.nio.file.Path copy = java.nio.file.Files.createTempFile("streamed-", ".tif");
        try {
            java.nio.file.Files.write(copy, tiff);
            try (var channel = java.nio.channels.FileChannel.open(copy)) {
                var mapped =
                        channel.map(
                                java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, tiff.length);
                long[] streamedDeclared = new long[2];
                Raster streamed =
                        SceneDecoder.readTiffRaster(
                                SceneDecoder.Source.mapped(mapped, copy),
                                DecodeLimits.DEFAULT,
                                resize,
                                new DecodeDeadline(DecodeLimits.DEFAULT.timeBudgetMillis()),
                                streamedDeclared);
                assertThat(streamedDeclared).containsExactly(layout.width, layout.height);
                assertThat(
                                streamed.getPixels(
                                        streamed.getMinX(),
                                        streamed.getMinY(),
                                        width,
                                        height,
                                        (float[]) null))
                        .isEqualTo(gdal);
                assertThat(Truncation.tiff(TiffDirectory.read(mapped))).isEmpty();
            }
        } finally {
            java.nio.file.Files.deleteIfExists(copy);
        }
        DecodedPixels decoded = ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, resize);
        assertThat(decoded.originalWidth()).isEqualTo(layout.width);
        assertThat(decoded.originalHeight()).isEqualTo(layout.height);
        assertThat(decoded.extras()).containsEntry("crs", "EPSG:" + layout.epsg);
    }

    /**
     * An overview whose tiles run past the end of the file (as when a file with overviews stored
     * after the full image is cut inside them) is not read: the whole full-resolution image is,
     * with GDAL's samples.
     */
    @org.junit.jupiter.api.Test
    void shouldReadTheFullImageWhenTheClosestOverviewIsCutOff() throws Exception {
        String name = "cog-4band-uint16-deflate";
        Layout layout = layouts().filter(l -> l.name.equals(name)).findFirst().orElseThrow();
        byte[] tiff = resource(name + ".tif");
        // The first tile offset of the first overview (IFD 1, tag 324), moved past the end.
        TiffDirectory overview =
                TiffDirectory.read(java.nio.ByteBuffer.wrap(tiff)).directories().get(1);
        TiffDirectory.Entry tileOffsets = overview.entries.get(324);
        ByteBuffer.wrap(tiff)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(tileOffsets.valuesAt(), tiff.length);
        ModelInput resize =
                new ModelInput(40, 40, layout.bands, null, 1f, null, null)
                        .withTiling(SceneTiling.RESIZE);
        Raster raster =
                SceneDecoder.readTiffRaster(
                        SceneDecoder.Source.of(tiff),
                        DecodeLimits.DEFAULT,
                        resize,
                        new DecodeDeadline(DecodeLimits.DEFAULT.timeBudgetMillis()),
                        new long[2]);
        assertThat(raster.getWidth()).isEqualTo(layout.width);
        assertThat(
                        raster.getPixels(
                                raster.getMinX(),
                                raster.getMinY(),
                                layout.width,
                                layout.height,
                                (float[]) null))
                .isEqualTo(samples(resource(name + ".bip"), layout.type));
    }

    private static float[] samples(byte[] raw, String type) {
        ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int bytes =
                switch (type) {
                    case "Byte" -> 1;
                    case "UInt16", "Int16" -> 2;
                    case "Float32" -> 4;
                    default -> throw new IllegalArgumentException(type);
                };
        float[] values = new float[raw.length / bytes];
        for (int i = 0; i < values.length; i++) {
            values[i] =
                    switch (type) {
                        case "Byte" -> Byte.toUnsignedInt(in.get(i));
                        case "UInt16" -> Short.toUnsignedInt(in.getShort(i * 2));
                        case "Int16" -> in.getShort(i * 2);
                        default -> in.getFloat(i * 4);
                    };
        }
        return values;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GeoTiffReferenceTest.class.getResourceAsStream("/geotiff/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** Tile origins along an axis: every {@code tile} pixels, the last moved inward to the edge. */
    private static int[] origins(int size, int tile) {
        int[] origins = new int[(size + tile - 1) / tile];
        for (int i = 0; i < origins.length; i++) {
            origins[i] = Math.min(i * tile, size - tile);
        }
        return origins;
    }
}
