package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.samples.GeoTiffWriter;
import org.junit.jupiter.api.Test;

class SceneTilesTest {
    private static final int BANDS = 13;
    private static final int WIDTH = 100;
    private static final int HEIGHT = 70;
    private static final double ORIGIN_X = 500_000;
    private static final double ORIGIN_Y = 5_800_000;
    private static final double PIXEL = 10;

    /** Every sample tells where it is: column, row and band. */
    private static int sample(int x, int y, int band) {
        return (x * 7 + y * 131 + band * 1000) % 60_000;
    }

    private static byte[] scene() {
        short[] samples = new short[WIDTH * HEIGHT * BANDS];
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                for (int b = 0; b < BANDS; b++) {
                    samples[(y * WIDTH + x) * BANDS + b] = (short) sample(x, y, b);
                }
            }
        }
        return GeoTiffWriter.write(samples, WIDTH, HEIGHT, BANDS, ORIGIN_X, ORIGIN_Y, PIXEL, 32633);
    }

    @Test
    void shouldPlaceTheLastTileOfARowOrColumnAgainstTheSceneEdge() {
        assertThat(SceneTiles.origins(100, 32)).containsExactly(0, 32, 64, 68);
        assertThat(SceneTiles.origins(70, 32)).containsExactly(0, 32, 38);
        assertThat(SceneTiles.origins(64, 32)).containsExactly(0, 32);
        assertThat(SceneTiles.origins(32, 32)).containsExactly(0);
    }

    @Test
    void shouldCutAFullResolutionTileWithItsBoundsForEveryPartOfTheScene() throws Exception {
        ModelInput input = new ModelInput(32, 32, BANDS, null, 1f, null, null);
        DecodedPixels decoded = ImageDecoders.decode(Domain.REMOTE_SENSING, scene(), input);

        assertThat(decoded.parts()).isEqualTo(12);
        assertThat(decoded.pixels()).hasSize(12 * input.size());
        assertThat(decoded.extras())
                .containsEntry("tiles", "4x3")
                .containsEntry("crs", "EPSG:32633")
                .containsEntry("bounds", "500000,5799300,501000,5800000");
        int[] xs = {0, 32, 64, 68};
        int[] ys = {0, 32, 38};
        int part = 0;
        for (int y0 : ys) {
            for (int x0 : xs) {
                Map<String, String> extras = decoded.partExtras().get(part);
                assertThat(extras)
                        .containsEntry("x", Integer.toString(x0))
                        .containsEntry("y", Integer.toString(y0))
                        .containsEntry("width", "32")
                        .containsEntry("height", "32");
                double minX = ORIGIN_X + x0 * PIXEL;
                double maxY = ORIGIN_Y - y0 * PIXEL;
                assertThat(extras.get("bounds"))
                        .isEqualTo(
                                (long) minX
                                        + ","
                                        + (long) (maxY - 32 * PIXEL)
                                        + ","
                                        + (long) (minX + 32 * PIXEL)
                                        + ","
                                        + (long) maxY);
                for (int row = 0; row < 32; row++) {
                    for (int col = 0; col < 32; col++) {
                        for (int b = 0; b < BANDS; b++) {
                            float value =
                                    decoded.pixels()[
                                            part * input.size() + (row * 32 + col) * BANDS + b];
                            assertThat(value)
                                    .as("part %d (%d,%d) band %d", part, col, row, b)
                                    .isEqualTo((float) sample(x0 + col, y0 + row, b));
                        }
                    }
                }
                part++;
            }
        }
    }

    @Test
    void shouldResampleTheWholeSceneWhenTheModelAsksForIt() throws Exception {
        ModelInput input =
                new ModelInput(32, 32, BANDS, null, 1f, null, null).withTiling(SceneTiling.RESIZE);
        DecodedPixels decoded = ImageDecoders.decode(Domain.REMOTE_SENSING, scene(), input);
        assertThat(decoded.parts()).isEqualTo(1);
        assertThat(decoded.pixels()).hasSize(input.size());
        assertThat(decoded.extras()).doesNotContainKey("tiles");
    }

    @Test
    void shouldResampleAScenesSmallerThanTheModelInputInOneDimension() throws Exception {
        ModelInput input = new ModelInput(80, 80, BANDS, null, 1f, null, null);
        DecodedPixels decoded = ImageDecoders.decode(Domain.REMOTE_SENSING, scene(), input);
        assertThat(decoded.parts()).isEqualTo(1);
        assertThat(decoded.pixels()).hasSize(input.size());
    }

    @Test
    void shouldRefuseASceneOfMoreTilesThanTheLimitBeforeReadingItsPixels() {
        ModelInput input = new ModelInput(32, 32, BANDS, null, 1f, null, null);
        DecodeLimits limits = new DecodeLimits(1 << 20, 32, 16, 11, 10_000);
        assertThatThrownBy(
                        () -> ImageDecoders.decode(Domain.REMOTE_SENSING, scene(), input, limits))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("12 parts")
                .hasMessageContaining("limits.max-parts");
    }

    /**
     * Tiles read one by one are stretched with the whole scene's percentiles (selected bands,
     * sample scale, mean and std too): the same floats as the scene decoded and stretched whole.
     */
    @Test
    void shouldStretchTilesReadOneByOneAsTheWholeSceneIsStretched() throws Exception {
        ModelInput input =
                new ModelInput(
                        32,
                        32,
                        3,
                        new int[] {4, 3, 2},
                        10_000f,
                        new float[] {0.4f, 0.5f, 0.6f},
                        new float[] {0.2f, 0.25f, 0.3f},
                        DicomFrame.FIRST,
                        new float[] {2f, 98f},
                        SceneTiling.TILE);
        DecodedPixels whole = ImageDecoders.decode(Domain.REMOTE_SENSING, scene(), input);
        CollectingPartSink sink = new CollectingPartSink(4);
        DecodedPixels streamed =
                ImageDecoders.decode(
                        Domain.REMOTE_SENSING, scene(), input, DecodeLimits.DEFAULT, null, sink);
        assertThat(streamed.pixels()).isNull();
        assertThat(sink.inputs).hasSize(whole.parts());
        assertThat(sink.joined()).isEqualTo(whole.pixels());
        assertThat(streamed.extras()).isEqualTo(whole.extras());
    }

    /**
     * A scene whose whole decode needs twice the budget is refused by the in-memory path but tiled
     * row by row when a sink takes its tiles, with the same tiles the in-memory path cuts under a
     * budget large enough for it.
     */
    @Test
    void shouldTileASceneLargerThanTheDecodeBudgetRowByRow() throws Exception {
        int width = 480;
        int height = 120;
        short[] samples = new short[width * height * BANDS];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (short) ((i * 7919) % 50_000);
        }
        byte[] tiff =
                GeoTiffWriter.write(
                        samples, width, height, BANDS, ORIGIN_X, ORIGIN_Y, PIXEL, 32633);
        ModelInput input = new ModelInput(32, 32, BANDS, null, 1f, null, null);
        DecodeLimits small = DecodeLimits.DEFAULT.withMaxDecodeMemory(3L << 20);
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, input, small))
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.TOO_LARGE);
        CollectingPartSink sink = new CollectingPartSink(16);
        DecodedPixels streamed =
                ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, input, small, null, sink);
        DecodedPixels whole =
                ImageDecoders.decode(
                        Domain.REMOTE_SENSING,
                        tiff,
                        input,
                        DecodeLimits.DEFAULT.withMaxDecodeMemory(256L << 20));
        assertThat(streamed.parts()).isEqualTo(whole.parts()).isEqualTo(15 * 4);
        assertThat(sink.inputs).hasSize(whole.parts());
        assertThat(sink.joined()).isEqualTo(whole.pixels());
    }

    /**
     * A sink that stops (the model failed) ends the read after that group; one that throws is not
     * the image's fault: its exception comes out as a {@link PartSink.Failure}, never a CORRUPT
     * verdict.
     */
    @Test
    void shouldStopWhenTheSinkSaysSoAndPassOnWhatItThrows() throws Exception {
        ModelInput input = new ModelInput(32, 32, BANDS, null, 1f, null, null);
        java.util.List<Integer> groups = new java.util.ArrayList<>();
        PartSink stopping =
                new PartSink() {
                    @Override
                    public int maxInputs() {
                        return 2;
                    }

                    @Override
                    public boolean accept(java.util.List<float[]> inputs) {
                        groups.add(inputs.size());
                        return false;
                    }
                };
        DecodedPixels stopped =
                ImageDecoders.decode(
                        Domain.REMOTE_SENSING,
                        scene(),
                        input,
                        DecodeLimits.DEFAULT,
                        null,
                        stopping);
        assertThat(groups).containsExactly(2);
        assertThat(stopped.parts()).isEqualTo(12);

        PartSink throwing =
                new PartSink() {
                    @Override
                    public int maxInputs() {
                        return 2;
                    }

                    @Override
                    public boolean accept(java.util.List<float[]> inputs) {
                        throw new IllegalStateException("metrics are broken");
                    }
                };
        assertThatThrownBy(
                        () ->
                                ImageDecoders.decode(
                                        Domain.REMOTE_SENSING,
                                        scene(),
                                        input,
                                        DecodeLimits.DEFAULT,
                                        null,
                                        throwing))
                .isInstanceOf(PartSink.Failure.class)
                .hasRootCauseMessage("metrics are broken");
    }
}
