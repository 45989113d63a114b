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
        assertReason(Domain.SOCIAL, Arrays.copyOf(jpeg, 200), RGB_32, Reason.CORRUPT);
        assertReason(Domain.REMOTE_SENSING, jpeg, BANDS_13, Reason.UNSUPPORTED_FORMAT);
        byte[] tiff = SampleImages.generate(Domain.REMOTE_SENSING, 0, new Random(2)).bytes();
        assertReason(
                Domain.REMOTE_SENSING,
                Arrays.copyOf(tiff, 300),
                new ModelInput(32, 32, 13),
                Reason.CORRUPT);
        assertReason(Domain.MEDICAL, jpeg, GRAY_32, Reason.UNSUPPORTED_FORMAT);
        byte[] dicom = SampleImages.generate(Domain.MEDICAL, 0, new Random(2)).bytes();
        assertReason(Domain.MEDICAL, Arrays.copyOf(dicom, 400), GRAY_32, Reason.CORRUPT);
    }

    private static void assertReason(Domain domain, byte[] bytes, ModelInput input, Reason reason) {
        assertThatThrownBy(() -> ImageDecoders.decode(domain, bytes, input))
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
