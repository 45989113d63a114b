package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.testing.HostileCorpus;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: a corpus of several hundred malformed files derived from real ones (every
 * reference photo, a 13-band GeoTIFF, a DICOM slice) by truncation and random corruption, plus
 * decompression bombs whose headers declare huge rasters. Every input must end as decoded pixels or
 * a typed {@link DecodeException}, within two seconds, without any other exception; bombs must be
 * refused as {@code TOO_LARGE} from their headers, before pixels are allocated.
 */
class HostileInputTest {
    private static final ModelInput RGB = new ModelInput(32, 32, 3);
    private static final TfJpegDecoder TENSORFLOW_JPEG = new TfJpegDecoder();

    @org.junit.jupiter.api.AfterAll
    static void closeDecoder() {
        TENSORFLOW_JPEG.close();
    }

    private static final ModelInput BANDS_13 = new ModelInput(32, 32, 13);
    private static final ModelInput GRAY = new ModelInput(32, 32, 1);

    @Test
    void shouldTurnEveryCorruptOrTruncatedFileIntoADecodedImageOrATypedReason() throws Exception {
        Map<String, Seed> seeds = seeds();
        Random random = new Random(20261127);
        int inputs = 0;
        Map<Reason, Integer> reasons = new LinkedHashMap<>();
        int decoded = 0;
        for (Map.Entry<String, Seed> entry : seeds.entrySet()) {
            Seed seed = entry.getValue();
            for (byte[] variant : HostileCorpus.variants(seed.bytes(), random)) {
                inputs++;
                String what = entry.getKey() + " variant " + inputs;
                Reason reason =
                        assertTimeoutPreemptively(
                                Duration.ofSeconds(2),
                                () -> {
                                    try {
                                        // As the job decodes: JPEGs through TensorFlow's
                                        // decoder first, ImageIO when it refuses them.
                                        ImageDecoders.decode(
                                                seed.domain(),
                                                variant,
                                                seed.input(),
                                                DecodeLimits.DEFAULT,
                                                TENSORFLOW_JPEG);
                                        return null;
                                    } catch (DecodeException e) {
                                        assertThat(e.getMessage()).as(what).isNotBlank();
                                        return e.reason();
                                    }
                                },
                                what);
                if (reason == null) {
                    decoded++;
                } else {
                    reasons.merge(reason, 1, Integer::sum);
                }
            }
        }
        System.out.printf(
                "hostile corpus: %d inputs from %d seeds: %d still decodable, rejected %s%n",
                inputs, seeds.size(), decoded, reasons);
        assertThat(inputs).isGreaterThanOrEqualTo(200);
        assertThat(reasons).containsKeys(Reason.CORRUPT, Reason.UNSUPPORTED_FORMAT);
    }

    @Test
    void shouldRefuseDecompressionBombsFromTheirHeaders() throws Exception {
        // PNG 100,000^2, JPEG 60,000^2, GIF 65,000^2, 13-band GeoTIFF 40,000^2 (~41 GB decoded).
        List<HostileCorpus.Sample> bombs = HostileCorpus.bombs();
        assertThat(bombs).hasSize(4);
        for (HostileCorpus.Sample bomb : bombs) {
            assertTooLarge(
                    bomb.domain(), bomb.bytes(), bomb.domain() == Domain.SOCIAL ? RGB : BANDS_13);
        }
        byte[] png = HostileCorpus.resource("rgb8.png");

        // The limits are configurable and checked the same way.
        assertThatThrownBy(
                        () ->
                                ImageDecoders.decode(
                                        Domain.SOCIAL, png, RGB, new DecodeLimits(1000, 32)))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("64x32")
                .hasMessageContaining("limits.max-pixels");
        assertThatThrownBy(
                        () ->
                                ImageDecoders.decode(
                                        Domain.REMOTE_SENSING,
                                        org.imagestream.samples.GeoTiffWriter.write(
                                                new short[16 * 16 * 13],
                                                16,
                                                16,
                                                13,
                                                0,
                                                0,
                                                10,
                                                32633),
                                        BANDS_13,
                                        new DecodeLimits(1_000_000, 8)))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("13 bands");
    }

    /**
     * The shapes the issue names that the corpus only reaches by chance: a TIFF declaring 65535
     * bands, DICOM element lengths past the end of the file (in the header and in the pixel data),
     * and zero bytes.
     */
    @Test
    void shouldRefuseAbsurdBandCountsLengthsPastTheEndAndZeroBytes() throws Exception {
        byte[] tiff =
                org.imagestream.samples.GeoTiffWriter.write(
                        new short[16 * 16 * 13], 16, 16, 13, 0, 0, 10, 32633);
        byte[] manyBands = tiff.clone();
        ByteBuffer buffer = ByteBuffer.wrap(manyBands).order(ByteOrder.LITTLE_ENDIAN);
        int ifd = buffer.getInt(4);
        for (int e = 0; e < Short.toUnsignedInt(buffer.getShort(ifd)); e++) {
            int entry = ifd + 2 + e * 12;
            if (Short.toUnsignedInt(buffer.getShort(entry)) == 277) { // SamplesPerPixel
                buffer.putShort(entry + 8, (short) 65535);
            }
        }
        assertReason(Domain.REMOTE_SENSING, manyBands, BANDS_13, Reason.TOO_LARGE, Reason.CORRUPT);

        byte[] dicom = HostileCorpus.resource("/dicom/MR_small.dcm");
        // The first dataset element after the 132-byte preamble and the meta group.
        int datasetAt = DicomFileMeta.open(dicom, DecodeLimits.DEFAULT).datasetOffset();
        ByteBuffer in = ByteBuffer.wrap(dicom).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(in.getShort(datasetAt)).as("a group 0008 element").isEqualTo((short) 0x0008);
        byte[] lengthPastEnd = dicom.clone();
        ByteBuffer.wrap(lengthPastEnd)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort(datasetAt + 6, (short) 0xFFF0);
        assertReason(Domain.MEDICAL, lengthPastEnd, GRAY, Reason.CORRUPT);
        byte[] pixelsPastEnd = java.util.Arrays.copyOf(dicom, dicom.length - 4000);
        assertReason(Domain.MEDICAL, pixelsPastEnd, GRAY, Reason.CORRUPT);

        for (Seed seed :
                List.of(
                        new Seed(Domain.SOCIAL, new byte[0], RGB),
                        new Seed(Domain.REMOTE_SENSING, new byte[0], BANDS_13),
                        new Seed(Domain.MEDICAL, new byte[0], GRAY))) {
            assertReason(seed.domain(), seed.bytes(), seed.input(), Reason.EMPTY);
            assertReason(seed.domain(), new byte[4096], seed.input(), Reason.UNSUPPORTED_FORMAT);
        }
    }

    /** Decoding fails within 2 s with one of the expected reasons; returns the exception. */
    private static DecodeException assertReason(
            Domain domain, byte[] bytes, ModelInput input, Reason... expected) {
        return assertTimeoutPreemptively(
                Duration.ofSeconds(2),
                () -> {
                    try {
                        ImageDecoders.decode(domain, bytes, input);
                    } catch (DecodeException e) {
                        assertThat(e.reason()).isIn((Object[]) expected);
                        return e;
                    }
                    throw new AssertionError(
                            "decoded, expected one of " + Arrays.toString(expected));
                });
    }

    private record Seed(Domain domain, byte[] bytes, ModelInput input) {}

    /** The corpus's seeds with the model input each is decoded for. */
    private static Map<String, Seed> seeds() {
        Map<String, Seed> seeds = new LinkedHashMap<>();
        for (HostileCorpus.Sample sample : HostileCorpus.seeds().values()) {
            ModelInput input =
                    switch (sample.name()) {
                        case "geotiff" -> BANDS_13;
                        case "planar.tif" -> new ModelInput(16, 16, 4);
                        case "tiled-lzw.tif" -> new ModelInput(16, 16, 13);
                        case "cog-bigtiff.tif" ->
                                new ModelInput(16, 16, 3).withTiling(SceneTiling.RESIZE);
                        case "rtdose.dcm",
                                        "MR_small_bigendian.dcm",
                                        "image_dfl.dcm",
                                        "MR_two_frames_jpeg_fragments.dcm",
                                        "rtdose_rle_dcmtk.dcm" ->
                                GRAY.withFrame(DicomFrame.ALL);
                        case "dicom" -> GRAY;
                        default -> RGB;
                    };
            seeds.put(sample.name(), new Seed(sample.domain(), sample.bytes(), input));
        }
        return seeds;
    }

    private static void assertTooLarge(Domain domain, byte[] bytes, ModelInput input) {
        assertThat(assertReason(domain, bytes, input, Reason.TOO_LARGE).getMessage())
                .contains("limits.max-pixels");
    }
}
