package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.samples.DicomWriter;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SyntheticScenes;
import org.junit.jupiter.api.Test;

class ImageDecodersTest {
    private static final ModelInput RGB_32 = new ModelInput(32, 32, 3);
    private static final ModelInput BANDS_13 = new ModelInput(16, 16, 13);
    private static final ModelInput GRAY_32 = new ModelInput(32, 32, 1);

    @Test
    void shouldDecodeJpegAndPngToRgbModelInput() throws Exception {
        Random random = new Random(1);
        for (int i = 0; i < 2; i++) {
            SampleImages.Sample sample = SampleImages.generate(Domain.SOCIAL, i, random);
            DecodedPixels pixels = ImageDecoders.decode(Domain.SOCIAL, sample.bytes(), RGB_32);
            assertThat(pixels.originalWidth()).isEqualTo(128);
            assertThat(pixels.pixels()).hasSize(32 * 32 * 3);
            for (float value : pixels.pixels()) {
                assertThat(value).isBetween(0f, 1f);
            }
        }
    }

    @Test
    void shouldReadEveryGeoTiffBandExactly() throws Exception {
        short[] patch = SyntheticScenes.remoteSensingPatch(2, 16, new Random(5));
        byte[] tiff = GeoTiffWriter.write(patch, 16, 16, 13, 500_000, 5_800_000, 10, 32633);
        DecodedPixels pixels = ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, BANDS_13);
        assertThat(pixels.originalWidth()).isEqualTo(16);
        // Georeferencing from the GeoTIFF tags: 16 x 16 pixels of 10 m from (500000, 5800000).
        assertThat(pixels.extras())
                .containsEntry("crs", "EPSG:32633")
                .containsEntry("bounds", "500000,5799840,500160,5800000")
                .containsEntry("pixel_size", "10,10");
        for (int i = 0; i < patch.length; i++) {
            assertThat(pixels.pixels()[i]).isEqualTo(Short.toUnsignedInt(patch[i]) / 10000f);
        }
    }

    @Test
    void shouldSelectBandsInTheSpecsOrderAndNormalise() throws Exception {
        short[] patch = SyntheticScenes.remoteSensingPatch(3, 16, new Random(6));
        byte[] tiff = GeoTiffWriter.write(patch, 16, 16, 13, 500_000, 5_800_000, 10, 32633);
        // Sentinel-2 true colour: B4, B3, B2; then (x - mean) / std per channel.
        float[] mean = {0.1f, 0.2f, 0.3f};
        float[] std = {0.5f, 0.25f, 2f};
        ModelInput rgb = new ModelInput(16, 16, 3, new int[] {4, 3, 2}, 10000f, mean, std);
        float[] pixels = ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, rgb).pixels();
        assertThat(pixels).hasSize(16 * 16 * 3);
        int[] source = {3, 2, 1}; // 0-based band index of each channel
        for (int p = 0; p < 16 * 16; p++) {
            for (int c = 0; c < 3; c++) {
                float raw = Short.toUnsignedInt(patch[p * 13 + source[c]]) / 10000f;
                assertThat(pixels[p * 3 + c]).isCloseTo((raw - mean[c]) / std[c], within(1e-6f));
            }
        }
        ModelInput band14 = new ModelInput(16, 16, 1, new int[] {14}, 10000f, null, null);
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, band14))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INCOMPATIBLE))
                .hasMessageContaining("band 14 but the GeoTIFF has 13 bands");
    }

    /**
     * Float32 and signed 16-bit TIFFs, written by the JDK's own TIFF writer (an encoder independent
     * of the TwelveMonkeys reader), decode to their exact sample values.
     */
    @Test
    void shouldReadFloatAndSignedSampleFormatsExactly() throws Exception {
        int w = 8;
        int h = 4;
        float[] reflectance = new float[w * h * 3];
        short[] signed = new short[w * h * 3];
        Random random = new Random(9);
        for (int i = 0; i < reflectance.length; i++) {
            reflectance[i] = random.nextFloat() * 1.2f - 0.1f;
            signed[i] = (short) (random.nextInt(65536) - 32768);
        }
        ModelInput asIs = new ModelInput(h, w, 3, null, 1f, null, null);
        float[] floats =
                ImageDecoders.decode(
                                Domain.REMOTE_SENSING,
                                jdkTiff(
                                        new java.awt.image.DataBufferFloat(
                                                reflectance, reflectance.length),
                                        w,
                                        h),
                                asIs)
                        .pixels();
        assertThat(floats).containsExactly(reflectance);
        float[] shorts =
                ImageDecoders.decode(
                                Domain.REMOTE_SENSING,
                                jdkTiff(
                                        new java.awt.image.DataBufferShort(signed, signed.length),
                                        w,
                                        h),
                                asIs)
                        .pixels();
        for (int i = 0; i < signed.length; i++) {
            assertThat(shorts[i]).isEqualTo((float) signed[i]);
        }
    }

    private static byte[] jdkTiff(java.awt.image.DataBuffer data, int w, int h) throws Exception {
        var sampleModel =
                new java.awt.image.PixelInterleavedSampleModel(
                        data.getDataType(), w, h, 3, w * 3, new int[] {0, 1, 2});
        var raster = java.awt.image.Raster.createWritableRaster(sampleModel, data, null);
        var colorModel =
                new java.awt.image.ComponentColorModel(
                        java.awt.color.ColorSpace.getInstance(
                                java.awt.color.ColorSpace.CS_LINEAR_RGB),
                        false,
                        false,
                        java.awt.Transparency.OPAQUE,
                        data.getDataType());
        var image = new java.awt.image.BufferedImage(colorModel, raster, false, null);
        javax.imageio.ImageWriter writer = null;
        for (var it = javax.imageio.ImageIO.getImageWritersByFormatName("tiff"); it.hasNext(); ) {
            var candidate = it.next();
            if (candidate.getClass().getName().startsWith("com.sun.imageio.")) {
                writer = candidate;
            }
        }
        assertThat(writer).as("the JDK's TIFF writer").isNotNull();
        var out = new java.io.ByteArrayOutputStream();
        try (var stream = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(image);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    @Test
    void shouldStretchEachBandBetweenItsPercentiles() throws Exception {
        short[] patch = SyntheticScenes.remoteSensingPatch(1, 16, new Random(12));
        byte[] tiff = GeoTiffWriter.write(patch, 16, 16, 13, 500_000, 5_800_000, 10, 32633);
        ModelInput full =
                new ModelInput(
                        16,
                        16,
                        13,
                        null,
                        10000f,
                        null,
                        null,
                        DicomFrame.FIRST,
                        new float[] {0, 100},
                        SceneTiling.TILE);
        float[] pixels = ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, full).pixels();
        for (int band = 0; band < 13; band++) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            int rawMin = Integer.MAX_VALUE;
            int rawMax = Integer.MIN_VALUE;
            for (int p = 0; p < 16 * 16; p++) {
                min = Math.min(min, pixels[p * 13 + band]);
                max = Math.max(max, pixels[p * 13 + band]);
                rawMin = Math.min(rawMin, Short.toUnsignedInt(patch[p * 13 + band]));
                rawMax = Math.max(rawMax, Short.toUnsignedInt(patch[p * 13 + band]));
            }
            if (rawMax > rawMin) {
                assertThat(min).as("band %d min", band).isEqualTo(0f);
                assertThat(max).as("band %d max", band).isEqualTo(1f);
            }
        }
        // 2..98 %: a few pixels at each end clamp to 0 and 1.
        ModelInput clipped =
                new ModelInput(
                        16,
                        16,
                        13,
                        null,
                        10000f,
                        null,
                        null,
                        DicomFrame.FIRST,
                        new float[] {2, 98},
                        SceneTiling.TILE);
        float[] stretched = ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, clipped).pixels();
        long ones = 0;
        for (int p = 0; p < 16 * 16; p++) {
            ones += stretched[p * 13] == 1f ? 1 : 0;
        }
        assertThat(ones).isBetween(1L, 16L);
    }

    @Test
    void shouldRejectGeoTiffWithWrongBandCount() {
        short[] patch = new short[16 * 16 * 4];
        byte[] tiff = GeoTiffWriter.write(patch, 16, 16, 4, 0, 0, 10, 32633);
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.REMOTE_SENSING, tiff, BANDS_13))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INCOMPATIBLE))
                .hasMessageContaining("4 bands");
    }

    @Test
    void shouldApplyRescaleThenVoiWindowToDicom() throws Exception {
        short[] stored = new short[32 * 32];
        for (int i = 0; i < stored.length; i++) {
            stored[i] = (short) (i * 4); // 0 .. 4092 -> HU -1024 .. 3068
        }
        byte[] dicom = DicomWriter.writeCt(stored, 32, 32, 40, 400, -1024, 1);
        DecodedPixels pixels = ImageDecoders.decode(Domain.MEDICAL, dicom, GRAY_32);
        for (int i = 0; i < stored.length; i++) {
            double hu = stored[i] - 1024;
            // PS3.3 C.11.2.1.2.1 linear window, center 40, width 400.
            double expected = Math.max(0, Math.min(1, (hu - (40 - 0.5 - 399 / 2.0)) / 399));
            assertThat((double) pixels.pixels()[i])
                    .as("pixel %d (HU %s)", i, hu)
                    .isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void shouldGiveTypedReasonsForBadInput() {
        assertReason(Domain.SOCIAL, new byte[0], RGB_32, Reason.EMPTY);
        assertReason(Domain.SOCIAL, "not an image".getBytes(), RGB_32, Reason.UNSUPPORTED_FORMAT);
        byte[] jpeg = SampleImages.generate(Domain.SOCIAL, 0, new Random(2)).bytes();
        assertReason(Domain.SOCIAL, Arrays.copyOf(jpeg, 200), RGB_32, Reason.TRUNCATED);
        assertReason(Domain.REMOTE_SENSING, jpeg, BANDS_13, Reason.UNSUPPORTED_FORMAT);
        byte[] tiff = SampleImages.generate(Domain.REMOTE_SENSING, 0, new Random(2)).bytes();
        assertReason(
                Domain.REMOTE_SENSING,
                Arrays.copyOf(tiff, 300),
                new ModelInput(32, 32, 13),
                Reason.TRUNCATED);
        assertReason(Domain.MEDICAL, jpeg, GRAY_32, Reason.UNSUPPORTED_FORMAT);
        byte[] dicom = SampleImages.generate(Domain.MEDICAL, 0, new Random(2)).bytes();
        assertReason(Domain.MEDICAL, Arrays.copyOf(dicom, 400), GRAY_32, Reason.CORRUPT);
    }

    /**
     * Pillow's progressive JPEG decodes; the same file with its last scan repeated until it has 501
     * scans (libjpeg-turbo's TJFLAG_LIMITSCANS allows 500) is refused before any decoder runs,
     * through TensorFlow's path and ImageIO's alike.
     */
    @Test
    void shouldRefuseJpegsWithMoreScansThanLibjpegTurbosLimit() throws Exception {
        byte[] progressive;
        try (var in = getClass().getResourceAsStream("/images/progressive.jpg")) {
            progressive = in.readAllBytes();
        }
        assertThat(ImageDecoders.decode(Domain.SOCIAL, progressive, RGB_32).pixels()).isNotEmpty();
        int scans = 0;
        int lastScan = -1;
        for (int at = 0; at + 1 < progressive.length; at++) {
            if ((progressive[at] & 0xFF) == 0xFF && (progressive[at + 1] & 0xFF) == 0xDA) {
                scans++;
                lastScan = at;
            }
        }
        int end = progressive.length - 2; // FF D9
        assertThat(progressive[end] & 0xFF).isEqualTo(0xFF);
        java.io.ByteArrayOutputStream many = new java.io.ByteArrayOutputStream();
        many.write(progressive, 0, end);
        for (int extra = scans; extra <= 500; extra++) {
            many.write(progressive, lastScan, end - lastScan);
        }
        many.write(progressive, end, 2);
        try (TfJpegDecoder tensorflow = new TfJpegDecoder()) {
            assertThatThrownBy(
                            () ->
                                    ImageDecoders.decode(
                                            Domain.SOCIAL,
                                            many.toByteArray(),
                                            RGB_32,
                                            DecodeLimits.DEFAULT,
                                            tensorflow))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> {
                                assertThat(e.reason()).isEqualTo(Reason.CORRUPT);
                                assertThat(e.getMessage()).contains("more than 500 scans");
                            });
        }
        assertReason(Domain.SOCIAL, many.toByteArray(), RGB_32, Reason.CORRUPT);
    }

    private static void assertReason(Domain domain, byte[] bytes, ModelInput input, Reason reason) {
        assertThatThrownBy(() -> ImageDecoders.decode(domain, bytes, input))
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /**
     * A decode that outlives its budget ends as TOO_SLOW, for the reader-based paths (a large JPEG,
     * a large TIFF): the deadline aborts the reader instead of waiting for it.
     */
    @Test
    void shouldGiveUpOnAnImageThatTakesLongerThanTheTimeBudget() throws Exception {
        java.awt.image.BufferedImage large =
                new java.awt.image.BufferedImage(
                        3000, 2000, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2000; y++) {
            for (int x = 0; x < 3000; x++) {
                large.setRGB(x, y, (x * 255 / 3000) << 16 | (y * 255 / 2000) << 8 | (x ^ y) & 0xFF);
            }
        }
        var jpeg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(large, "jpeg", jpeg);
        short[] samples = new short[2000 * 2000 * 4];
        Arrays.fill(samples, (short) 1234);
        byte[] tiff = GeoTiffWriter.write(samples, 2000, 2000, 4, 0, 0, 10, 32633);
        DecodeLimits fiveMillis =
                DecodeLimits.DEFAULT.withTimeBudget(java.time.Duration.ofMillis(5));
        for (Object[] image :
                new Object[][] {
                    {Domain.SOCIAL, jpeg.toByteArray(), RGB_32},
                    {
                        Domain.REMOTE_SENSING,
                        tiff,
                        new ModelInput(32, 32, 4).withTiling(SceneTiling.RESIZE)
                    }
                }) {
            long started = System.nanoTime();
            assertThatThrownBy(
                            () ->
                                    ImageDecoders.decode(
                                            (Domain) image[0],
                                            (byte[]) image[1],
                                            (ModelInput) image[2],
                                            fiveMillis))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_SLOW))
                    .hasMessageContaining("limits.decode-time-budget");
            long aborted = System.nanoTime() - started;
            started = System.nanoTime();
            ImageDecoders.decode((Domain) image[0], (byte[]) image[1], (ModelInput) image[2]);
            System.out.printf(
                    "%s: aborted after %d ms, a full decode takes %d ms%n",
                    image[0], aborted / 1_000_000, (System.nanoTime() - started) / 1_000_000);
        }
    }

    /**
     * TensorFlow decodes photos much larger than the model input at 1/2, 1/4 or 1/8 scale (DCT
     * domain) before the area resampling; the model tensor must stay close to the one from a full
     * decode. A natural photo: scikit-image's "astronaut" is not on the test class path, so a
     * smooth scene with sensor-like noise stands in.
     */
    @Test
    void shouldGiveNearlyTheSameTensorWhenTensorFlowDecodesAScaledDownJpeg() throws Exception {
        Random random = new Random(17);
        try (TfJpegDecoder tensorflow = new TfJpegDecoder()) {
            for (int width : new int[] {640, 2048}) {
                int height = width * 3 / 4;
                java.awt.image.BufferedImage photo =
                        SyntheticScenes.noisyPhoto(2, width, height, 4, random);
                var jpeg = new java.io.ByteArrayOutputStream();
                javax.imageio.ImageIO.write(photo, "jpeg", jpeg);
                ModelInput input = new ModelInput(224, 224, 3);
                float[] full =
                        ImageDecoders.decode(
                                        Domain.SOCIAL,
                                        jpeg.toByteArray(),
                                        input,
                                        DecodeLimits.DEFAULT,
                                        null)
                                .pixels();
                float[] scaled =
                        ImageDecoders.decode(
                                        Domain.SOCIAL,
                                        jpeg.toByteArray(),
                                        input,
                                        DecodeLimits.DEFAULT,
                                        tensorflow)
                                .pixels();
                double[] differences = new double[full.length];
                double sum = 0;
                for (int i = 0; i < full.length; i++) {
                    differences[i] = Math.abs(full[i] - scaled[i]);
                    sum += differences[i];
                }
                Arrays.sort(differences);
                double mean = sum / full.length;
                double p99 = differences[(int) (differences.length * 0.99)];
                double worst = differences[differences.length - 1];
                System.out.printf(
                        "%dx%d JPEG -> 224x224: |diff| mean %.2f/255, p99 %.2f/255, max %.1f/255%n",
                        width, height, mean * 255, p99 * 255, worst * 255);
                // Edges differ most: DCT-domain scaling is not an area average.
                assertThat(mean).as("%dx%d mean difference", width, height).isLessThan(1.0 / 255);
                assertThat(p99).as("%dx%d 99th percentile", width, height).isLessThan(4.0 / 255);
            }
        }
    }
}
