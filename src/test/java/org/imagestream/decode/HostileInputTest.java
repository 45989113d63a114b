package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
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
            for (byte[] variant : variants(seed.bytes(), random)) {
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
        byte[] png = resource("rgb8.png");
        byte[] pngBomb = pngWithSize(png, 100_000, 100_000);
        assertTooLarge(Domain.SOCIAL, pngBomb, RGB);

        byte[] jpeg = resource("baseline.jpg");
        assertTooLarge(Domain.SOCIAL, jpegWithSize(jpeg, 60_000, 60_000), RGB);

        byte[] gif = resource("first-frame.gif");
        byte[] gifBomb = Arrays.copyOf(gif, gif.length);
        ByteBuffer.wrap(gifBomb, 6, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 65_000)
                .putShort((short) 65_000);
        // GIF's first image descriptor holds the frame size the reader reports.
        int descriptor = firstGifImageDescriptor(gifBomb);
        ByteBuffer.wrap(gifBomb, descriptor + 5, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 65_000)
                .putShort((short) 65_000);
        assertTooLarge(Domain.SOCIAL, gifBomb, RGB);

        // A 13-band 16-bit GeoTIFF of 40000 x 40000 declared in 1 KB: ~41 GB if decoded.
        assertTooLarge(
                Domain.REMOTE_SENSING,
                org.imagestream.samples.GeoTiffWriter.write(
                        new short[16 * 16 * 13], 16, 16, 13, 0, 0, 10, 32633),
                BANDS_13,
                tiff -> tiffWithSize(tiff, 40_000, 40_000));

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

        byte[] dicom = resource("/dicom/MR_small.dcm");
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

    private static Map<String, Seed> seeds() throws Exception {
        Map<String, Seed> seeds = new LinkedHashMap<>();
        for (String file :
                List.of(
                        "rgb8.png",
                        "gray16.png",
                        "palette.png",
                        "alpha.png",
                        "first-frame.gif",
                        "rgb.bmp",
                        "lossless.webp",
                        "lossy.webp",
                        "baseline.jpg",
                        "progressive.jpg",
                        "cmyk.jpg",
                        "orientation-6.jpg")) {
            seeds.put(file, new Seed(Domain.SOCIAL, resource(file), RGB));
        }
        Random random = new Random(4);
        seeds.put(
                "geotiff",
                new Seed(
                        Domain.REMOTE_SENSING,
                        SampleImages.generate(Domain.REMOTE_SENSING, 0, random).bytes(),
                        new ModelInput(32, 32, 13)));
        // Real files from the reference suites: GDAL's band-interleaved and tiled LZW GeoTIFFs,
        // pydicom's multi-frame implicit-VR dose, big-endian MR and deflated DICOM.
        seeds.put(
                "planar.tif",
                new Seed(
                        Domain.REMOTE_SENSING,
                        resource("/geotiff/rgbn-4band-uint16-striped-deflate-planar.tif"),
                        new ModelInput(16, 16, 4)));
        seeds.put(
                "tiled-lzw.tif",
                new Seed(
                        Domain.REMOTE_SENSING,
                        resource("/geotiff/s2-13band-uint16-tiled-lzw.tif"),
                        new ModelInput(16, 16, 13)));
        for (String dicom : List.of("rtdose.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm")) {
            seeds.put(
                    dicom,
                    new Seed(
                            Domain.MEDICAL,
                            resource("/dicom/" + dicom),
                            GRAY.withFrame(DicomFrame.ALL)));
        }
        seeds.put(
                "dicom",
                new Seed(
                        Domain.MEDICAL,
                        SampleImages.generate(Domain.MEDICAL, 1, random).bytes(),
                        GRAY));
        return seeds;
    }

    /** Truncations at several points and random corruptions of 1 to 64 bytes. */
    private static List<byte[]> variants(byte[] original, Random random) {
        List<byte[]> variants = new ArrayList<>();
        for (double fraction : new double[] {0.0, 0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
            int length = Math.max(1, (int) (original.length * fraction));
            variants.add(Arrays.copyOf(original, length));
        }
        for (int i = 0; i < 10; i++) {
            byte[] corrupted = original.clone();
            int flips = 1 << random.nextInt(7);
            for (int f = 0; f < flips; f++) {
                // Headers are where parsers break: half the flips land in the first 64 bytes.
                int at =
                        random.nextBoolean()
                                ? random.nextInt(Math.min(64, corrupted.length))
                                : random.nextInt(corrupted.length);
                corrupted[at] = (byte) random.nextInt(256);
            }
            variants.add(corrupted);
        }
        byte[] noise = new byte[original.length];
        random.nextBytes(noise);
        variants.add(noise);
        return variants;
    }

    private static void assertTooLarge(Domain domain, byte[] bytes, ModelInput input) {
        assertThat(assertReason(domain, bytes, input, Reason.TOO_LARGE).getMessage())
                .contains("limits.max-pixels");
    }

    private static void assertTooLarge(
            Domain domain,
            byte[] bytes,
            ModelInput input,
            java.util.function.UnaryOperator<byte[]> patch) {
        assertTooLarge(domain, patch.apply(bytes), input);
    }

    /** IHDR width and height replaced (CRC recomputed so the file stays well-formed). */
    private static byte[] pngWithSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer.wrap(out, 16, 8).putInt(width).putInt(height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 17); // "IHDR" + 13 data bytes
        ByteBuffer.wrap(out, 29, 4).putInt((int) crc.getValue());
        return out;
    }

    /** The SOF0 frame's height and width replaced. */
    private static byte[] jpegWithSize(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        for (int i = 2; i + 9 < out.length; i++) {
            if ((out[i] & 0xFF) == 0xFF
                    && ((out[i + 1] & 0xFF) == 0xC0 || (out[i + 1] & 0xFF) == 0xC2)) {
                ByteBuffer.wrap(out, i + 5, 4).putShort((short) height).putShort((short) width);
                return out;
            }
        }
        throw new IllegalArgumentException("no SOF marker");
    }

    /** ImageWidth (256) and ImageLength (257) of the first IFD replaced (LONG or SHORT values). */
    private static byte[] tiffWithSize(byte[] tiff, int width, int height) {
        byte[] out = tiff.clone();
        ByteOrder order = out[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer buffer = ByteBuffer.wrap(out).order(order);
        int ifd = buffer.getInt(4);
        int entries = Short.toUnsignedInt(buffer.getShort(ifd));
        for (int e = 0; e < entries; e++) {
            int entry = ifd + 2 + e * 12;
            int tag = Short.toUnsignedInt(buffer.getShort(entry));
            int type = Short.toUnsignedInt(buffer.getShort(entry + 2));
            if (tag == 256 || tag == 257) {
                int value = tag == 256 ? width : height;
                if (type == 3) {
                    buffer.putShort(entry + 2, (short) 4); // widen SHORT to LONG
                }
                buffer.putInt(entry + 8, value);
            }
        }
        return out;
    }

    /** Offset of the first image descriptor: after the colour table and any extension blocks. */
    private static int firstGifImageDescriptor(byte[] gif) {
        int packed = gif[10] & 0xFF;
        int at = 13 + ((packed & 0x80) != 0 ? 3 * (1 << ((packed & 7) + 1)) : 0);
        while ((gif[at] & 0xFF) == 0x21) { // extension: label, then sub-blocks up to a 0
            at += 2;
            while ((gif[at] & 0xFF) != 0) {
                at += (gif[at] & 0xFF) + 1;
            }
            at++;
        }
        if ((gif[at] & 0xFF) != 0x2C) {
            throw new IllegalArgumentException("no image descriptor at " + at);
        }
        return at;
    }

    private static byte[] resource(String name) throws Exception {
        String path = name.startsWith("/") ? name : "/images/" + name;
        try (InputStream in = HostileInputTest.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }
}
