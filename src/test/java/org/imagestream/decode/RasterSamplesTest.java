package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Point;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferShort;
import java.awt.image.DataBufferUShort;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RasterSamplesTest {
    /**
     * Rasters the direct read takes (8 and 16-bit unsigned, pixel- and band-interleaved, moved
     * origins, child rasters inside a larger parent, every band or a selection with repeats) must
     * give, to the bit, what AWT's own accessors give for the same samples.
     */
    @Test
    void shouldReadWhatTheRastersOwnAccessorsRead() {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            int width = 1 + random.nextInt(50);
            int height = 1 + random.nextInt(40);
            int bands = 1 + random.nextInt(13);
            int type = random.nextBoolean() ? DataBuffer.TYPE_USHORT : DataBuffer.TYPE_BYTE;
            Point origin = new Point(random.nextInt(5), random.nextInt(5));
            WritableRaster raster =
                    random.nextBoolean()
                            ? Raster.createInterleavedRaster(type, width, height, bands, origin)
                            : Raster.createBandedRaster(type, width, height, bands, origin);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    for (int band = 0; band < bands; band++) {
                        raster.setSample(
                                origin.x + x,
                                origin.y + y,
                                band,
                                random.nextInt(type == DataBuffer.TYPE_BYTE ? 256 : 65536));
                    }
                }
            }
            Raster read = raster;
            if (random.nextBoolean() && width > 2 && height > 2) {
                read =
                        raster.createChild(
                                origin.x + 1,
                                origin.y + 1,
                                1 + random.nextInt(width - 1),
                                1 + random.nextInt(height - 1),
                                random.nextInt(7),
                                random.nextInt(7),
                                null);
            }
            int[] selected = null;
            if (random.nextBoolean()) {
                selected = new int[1 + random.nextInt(bands)];
                for (int i = 0; i < selected.length; i++) {
                    selected[i] = 1 + random.nextInt(bands);
                }
            }
            float scale = random.nextBoolean() ? 10000f : 255f;
            ModelInput input =
                    new ModelInput(
                            4,
                            4,
                            selected == null ? bands : selected.length,
                            selected,
                            scale,
                            null,
                            null);
            assertThat(RasterSamples.of(read, input))
                    .as("round %d", round)
                    .isEqualTo(throughAccessors(read, selected, scale));
            assertThat(RasterSamples.direct(read, RasterSamples.sourceBands(read, input), scale))
                    .as("round %d read directly", round)
                    .isNotNull();
        }
    }

    /**
     * Layouts a reader may hand over beyond the stock constructors: bands stored in another order
     * (band offsets 2, 1, 0), a pixel stride with a gap, a data buffer that starts at an offset
     * into its array, a child raster of selected bands; and a signed 16-bit raster, which the
     * direct read leaves to the accessors (sign extension).
     */
    @Test
    void shouldReadUnusualLayoutsAsTheAccessorsDo() {
        Random random = new Random(8);
        int width = 9;
        int height = 7;
        int pixelStride = 4; // three bands and a gap
        int scanlineStride = width * pixelStride + 5;
        int offset = 11;
        short[] data = new short[offset + scanlineStride * height];
        for (int i = 0; i < data.length; i++) {
            data[i] = (short) random.nextInt(65536);
        }
        WritableRaster reordered =
                Raster.createWritableRaster(
                        new PixelInterleavedSampleModel(
                                DataBuffer.TYPE_USHORT,
                                width,
                                height,
                                pixelStride,
                                scanlineStride,
                                new int[] {2, 1, 0}),
                        new DataBufferUShort(data, data.length - offset, offset),
                        new Point(3, 4));
        Raster twoBands = reordered.createChild(4, 5, 6, 5, 0, 0, new int[] {2, 0});
        WritableRaster signed =
                Raster.createWritableRaster(
                        new PixelInterleavedSampleModel(
                                DataBuffer.TYPE_SHORT,
                                width,
                                height,
                                3,
                                width * 3,
                                new int[] {0, 1, 2}),
                        new DataBufferShort(data, width * height * 3),
                        null);
        for (Raster raster : new Raster[] {reordered, twoBands, signed}) {
            for (int[] selected : new int[][] {null, {2, 2}}) {
                int channels = selected == null ? raster.getNumBands() : selected.length;
                ModelInput input = new ModelInput(4, 4, channels, selected, 10000f, null, null);
                assertThat(RasterSamples.of(raster, input))
                        .as(
                                "%s, bands %s",
                                raster.getSampleModel(), java.util.Arrays.toString(selected))
                        .isEqualTo(throughAccessors(raster, selected, 10000f));
                float[] direct =
                        RasterSamples.direct(
                                raster, RasterSamples.sourceBands(raster, input), 10000f);
                assertThat(direct)
                        .as("read directly")
                        .matches(d -> (d != null) == (raster != signed));
            }
        }
    }

    /** The samples through {@link Raster#getSamples}, one band at a time, HWC, then scaled. */
    private static float[] throughAccessors(Raster raster, int[] selected, float scale) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int channels = selected == null ? raster.getNumBands() : selected.length;
        float[] samples = new float[width * height * channels];
        float[] band = new float[width * height];
        for (int channel = 0; channel < channels; channel++) {
            int source = selected == null ? channel : selected[channel] - 1;
            raster.getSamples(raster.getMinX(), raster.getMinY(), width, height, source, band);
            for (int i = 0; i < band.length; i++) {
                samples[i * channels + channel] = band[i] / scale;
            }
        }
        return samples;
    }
}
