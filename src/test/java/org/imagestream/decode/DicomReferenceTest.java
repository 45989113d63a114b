package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.testing.Bytes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The medical decoder on real DICOM files (pydicom's test data as Debian ships it: NEMA WG04 CT and
 * MR samples in explicit and implicit little endian and explicit big endian, a deflated file, a
 * MONOCHROME1 variant made with DCMTK's dcmodify) against DCMTK's dcm2pnm, which applies the
 * modality LUT and the VOI window of PS3.3 C.11.2.1.2.1, and a 12-of-16-bit file with other bits
 * set above the stored ones, which DCMTK masks ({@code regenerate.sh} rebuilds the golden PGMs).
 * Compressed transfer syntaxes the reader cannot decode must be refused by name (the ones it
 * decodes: {@link CompressedDicomReferenceTest}).
 */
class DicomReferenceTest {
    /** The uncompressed single-frame files, each with dcm2pnm's rendering (regenerate.sh). */
    static Stream<String> singleFrameFiles() {
        return Stream.of(
                "CT_small",
                "MR_small",
                "MR_small_implicit",
                "MR_small_bigendian",
                "MR_small_monochrome1",
                "image_dfl",
                "CT_small_12bit");
    }

    /** Every uncompressed file whose header dcmdump read into {@code headers.txt}. */
    static Stream<String> headerFiles() {
        return Stream.concat(singleFrameFiles(), Stream.of("rtdose", "rtdose_expb"));
    }

    @ParameterizedTest
    @MethodSource("singleFrameFiles")
    void shouldMatchDcmtkAfterModalityLutAndVoiWindow(String name) throws Exception {
        assertMatchesDcmtk(name, DicomDecoder.decodeMedicalFullSize(resource(name + ".dcm")));
    }

    /**
     * The same files decoded by several threads at once, as the slots of one TaskManager do. Each
     * result must still be DCMTK's. Found by CI: ImageJ 1.54p's DICOM reader, used before, named
     * every tag through one static buffer, so readers at once swapped tag names and lost the
     * modality (and could lose the VOI window); 4 threads x 1000 rounds of MR_small and its
     * implicit VR twin failed it in 9 s (the reproduction; this test runs 200 rounds of every
     * file).
     */
    @org.junit.jupiter.api.Test
    void shouldMatchDcmtkWhenManyThreadsDecodeAtOnce() throws Exception {
        List<String> names = singleFrameFiles().toList();
        List<byte[]> files = new ArrayList<>();
        for (String name : names) {
            files.add(resource(name + ".dcm"));
        }
        ManyThreads.check(
                4,
                200,
                names.size(),
                2,
                i ->
                        assertMatchesDcmtk(
                                names.get(i), DicomDecoder.decodeMedicalFullSize(files.get(i))));
    }

    /**
     * Header variants DCMTK reads as their source file (regenerate.sh): Rescale Slope 0 is ignored,
     * Number of Frames 0 is taken as 1, and 8-bit samples in big endian OW are swapped back in
     * pairs. Rendered by dcm2pnm as the source's golden, so ours must be too.
     */
    @ParameterizedTest
    @CsvSource({
        "MR_small_slope0, MR_small",
        "MR_small_frames0, MR_small",
        "image_be_ow, image_dfl",
    })
    void shouldRenderHeaderVariantsAsDcmtkRendersThem(String name, String rendersAs)
            throws Exception {
        assertMatchesDcmtk(rendersAs, DicomDecoder.decodeMedicalFullSize(resource(name + ".dcm")));
    }

    /**
     * Headers that DCMTK refuses (Bits Stored above Bits Allocated) or that cannot give a finite
     * picture (a slope that overflows) or a grayscale one (a palette) end as typed reasons; the
     * message never quotes the header's text.
     */
    @ParameterizedTest
    @CsvSource({
        "MR_small_slope_huge, CORRUPT, rescale slope",
        "MR_small_bits17, CORRUPT, bit layout",
        "MR_small_palette, INCOMPATIBLE, not MONOCHROME1 or MONOCHROME2",
    })
    void shouldRefuseHeadersThatCannotRenderAGrayscalePicture(
            String name, Reason reason, String message) throws Exception {
        byte[] bytes = resource(name + ".dcm");
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(bytes))
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message)
                .hasMessageNotContaining("PALETTE");
    }

    /** A photometric interpretation in lower case (as some writers spell it) is still read. */
    @org.junit.jupiter.api.Test
    void shouldReadAPhotometricInterpretationWrittenInLowerCase() throws Exception {
        byte[] file = resource("MR_small.dcm");
        byte[] upper = "MONOCHROME2".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(
                "monochrome2".getBytes(StandardCharsets.US_ASCII),
                0,
                file,
                indexOf(file, upper),
                upper.length);
        assertMatchesDcmtk("MR_small", DicomDecoder.decodeMedicalFullSize(file));
    }

    /** Float Pixel Data (7FE0,0008) in place of Pixel Data: refused by name, not as corrupt. */
    @org.junit.jupiter.api.Test
    void shouldRefuseFloatPixelDataAsUnsupported() throws Exception {
        byte[] file = resource("MR_small.dcm");
        int at = indexOf(file, new byte[] {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'W'});
        file[at + 2] = 0x08;
        file[at + 5] = 'F';
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(file))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT))
                .hasMessageContaining("float");
    }

    /**
     * A compressed transfer syntax (RLE here) whose pixel data is not encapsulated: its bytes must
     * not be read as samples.
     */
    @org.junit.jupiter.api.Test
    void shouldRefuseNativePixelDataUnderACompressedTransferSyntax() throws Exception {
        byte[] file = resource("MR_small.dcm");
        byte[] explicitLe = "1.2.840.10008.1.2.1\0".getBytes(StandardCharsets.US_ASCII);
        file[indexOf(file, explicitLe) + explicitLe.length - 2] = '5'; // 1.2.840.10008.1.2.5
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(file))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("not encapsulated");
    }

    private static int indexOf(byte[] file, byte[] pattern) {
        int found = -1;
        for (int i = 0; i + pattern.length <= file.length; i++) {
            if (java.util.Arrays.equals(file, i, i + pattern.length, pattern, 0, pattern.length)) {
                assertThat(found).as("pattern occurs once").isEqualTo(-1);
                found = i;
            }
        }
        assertThat(found).as("pattern found").isNotNegative();
        return found;
    }

    /** Pixels as dcm2pnm renders them (within one level), modality as dcmdump reads it. */
    private static void assertMatchesDcmtk(String name, DecodedPixels pixels) throws IOException {
        Pgm golden = Pgm.read(resource(name + ".golden.pgm"));
        // Only allow-listed header values travel on; the files' patient names must not.
        assertThat(pixels.extras())
                .as(name)
                .containsEntry("modality", dcmtkHeader(name)[6])
                .containsEntry("frames", "1");
        assertThat(String.join(" ", pixels.extras().values())).doesNotContain("CompressedSamples");
        assertThat(pixels.originalWidth()).isEqualTo(golden.width);
        assertThat(pixels.originalHeight()).isEqualTo(golden.height);
        int worst = 0;
        for (int i = 0; i < golden.pixels.length; i++) {
            int ours = Math.round(pixels.pixels()[i] * 255);
            worst = Math.max(worst, Math.abs(ours - (golden.pixels[i] & 0xFF)));
        }
        assertThat(worst).as("largest difference from dcm2pnm in %s", name).isLessThanOrEqualTo(1);
    }

    /** A file's line of {@code headers.txt}: name rows columns frames bits pixel-bytes modality. */
    private static String[] dcmtkHeader(String name) throws IOException {
        return new String(resource("headers.txt"), StandardCharsets.US_ASCII)
                .lines()
                .filter(l -> l.startsWith(name + " "))
                .findFirst()
                .orElseThrow()
                .split(" ");
    }

    /**
     * Frame choice on a two-frame file made from MR_small: its pixel data doubled, the second frame
     * all zeros, NumberOfFrames (0028,0008) inserted. FIRST must still match DCMTK's rendering of
     * MR_small; MIDDLE (frame 2 of 2) must be the zero frame, i.e. uniform.
     */
    @org.junit.jupiter.api.Test
    void shouldDecodeTheFirstOrTheMiddleFrameOfAMultiFrameFile() throws Exception {
        byte[] twoFrames = withSecondZeroFrame(resource("MR_small.dcm"));
        Pgm golden = Pgm.read(resource("MR_small.golden.pgm"));
        DecodedPixels first = DicomDecoder.decodeMedicalFullSize(twoFrames, DicomFrame.FIRST);
        for (int i = 0; i < golden.pixels.length; i++) {
            assertThat(Math.abs(Math.round(first.pixels()[i] * 255) - (golden.pixels[i] & 0xFF)))
                    .isLessThanOrEqualTo(1);
        }
        float[] middle = DicomDecoder.decodeMedicalFullSize(twoFrames, DicomFrame.MIDDLE).pixels();
        for (float value : middle) {
            assertThat(value).isEqualTo(middle[0]);
        }
        assertThat(middle).isNotEqualTo(first.pixels());
    }

    /** Explicit VR little endian only: appends a zero frame and inserts NumberOfFrames = 2. */
    private static byte[] withSecondZeroFrame(byte[] file) {
        java.nio.ByteBuffer in =
                java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int pixelData = -1;
        int rows = -1;
        for (int i = 132; i + 8 < file.length; i++) {
            int group = Short.toUnsignedInt(in.getShort(i));
            int element = Short.toUnsignedInt(in.getShort(i + 2));
            if (group == 0x0028 && element == 0x0010 && file[i + 4] == 'U' && file[i + 5] == 'S') {
                rows = i;
            }
            if (group == 0x7FE0 && element == 0x0010 && file[i + 4] == 'O') {
                pixelData = i;
            }
        }
        assertThat(rows).isPositive();
        assertThat(pixelData).isGreaterThan(rows);
        int frameBytes = in.getInt(pixelData + 8);
        byte[] numberOfFrames = {0x28, 0x00, 0x08, 0x00, 'I', 'S', 2, 0, '2', ' '};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(file, 0, rows);
        out.writeBytes(numberOfFrames);
        out.write(file, rows, pixelData + 8 - rows);
        out.writeBytes(
                java.nio.ByteBuffer.allocate(4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putInt(frameBytes * 2)
                        .array());
        out.write(file, pixelData + 12, frameBytes);
        out.writeBytes(new byte[frameBytes]);
        out.write(file, pixelData + 12 + frameBytes, file.length - pixelData - 12 - frameBytes);
        return out.toByteArray();
    }

    /**
     * Every frame of a real multi-frame file (RT dose: 15 frames of 32-bit samples, no VOI window)
     * against DCMTK's per-frame rendering, in implicit VR little endian and explicit VR big endian.
     */
    @ParameterizedTest
    @ValueSource(strings = {"rtdose", "rtdose_expb"})
    void shouldDecodeEveryFrameOfAMultiFrameFileLikeDcmtk(String name) throws Exception {
        ModelInput allFrames = new ModelInput(10, 10, 1).withFrame(DicomFrame.ALL);
        DecodedPixels pixels =
                ImageDecoders.decode(Domain.MEDICAL, resource(name + ".dcm"), allFrames);
        assertThat(pixels.parts()).isEqualTo(15);
        assertThat(pixels.extras()).containsEntry("frames", "15");
        for (int frame = 0; frame < 15; frame++) {
            assertThat(pixels.partExtras().get(frame))
                    .containsEntry("frame", Integer.toString(frame + 1));
            Pgm golden = Pgm.read(resource("rtdose.golden." + frame + ".pgm"));
            for (int i = 0; i < 100; i++) {
                int ours = Math.round(pixels.pixels()[frame * 100 + i] * 255);
                assertThat(Math.abs(ours - (golden.pixels[i] & 0xFF)))
                        .as("%s frame %d pixel %d", name, frame, i)
                        .isLessThanOrEqualTo(1);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void shouldRefuseMoreFramesOrPartsThanTheLimitsAllow() throws Exception {
        byte[] rtdose = resource("rtdose.dcm");
        ModelInput first = new ModelInput(10, 10, 1);
        DecodeLimits fourteenFrames = new DecodeLimits(1 << 20, 32, 14, 64, 10_000);
        assertThatThrownBy(
                        () -> ImageDecoders.decode(Domain.MEDICAL, rtdose, first, fourteenFrames))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("15 frames")
                .hasMessageContaining("limits.max-frames");
        DecodeLimits fourteenParts = new DecodeLimits(1 << 20, 32, 1024, 14, 10_000);
        assertThat(ImageDecoders.decode(Domain.MEDICAL, rtdose, first, fourteenParts).parts())
                .isEqualTo(1);
        assertThatThrownBy(
                        () ->
                                ImageDecoders.decode(
                                        Domain.MEDICAL,
                                        rtdose,
                                        first.withFrame(DicomFrame.ALL),
                                        fourteenParts))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("limits.max-parts");
        DecodeLimits fewPixels = new DecodeLimits(1499, 32, 1024, 64, 10_000);
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.MEDICAL, rtdose, first, fewPixels))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
                .hasMessageContaining("limits.max-pixels");
    }

    /** The header walk against DCMTK's reading of the same files ({@code headers.txt}). */
    @ParameterizedTest
    @MethodSource("headerFiles")
    void shouldReadTheImageGeometryFromTheHeaderLikeDcmtk(String name) throws Exception {
        String[] expected = dcmtkHeader(name);
        DicomFileMeta.Readable readable =
                DicomFileMeta.open(resource(name + ".dcm"), DecodeLimits.DEFAULT);
        DicomHeader header =
                DicomHeader.read(
                        readable.bytes(), readable.datasetOffset(), readable.transferSyntax());
        assertThat(header.rows()).isEqualTo(Integer.parseInt(expected[1]));
        assertThat(header.columns()).isEqualTo(Integer.parseInt(expected[2]));
        assertThat(header.frames()).isEqualTo(Integer.parseInt(expected[3]));
        assertThat(header.bitsAllocated()).isEqualTo(Integer.parseInt(expected[4]));
        assertThat(header.pixelDataLength()).isEqualTo(Long.parseLong(expected[5]));
        assertThat(header.expectedPixelBytes()).isEqualTo(header.pixelDataLength());
    }

    @org.junit.jupiter.api.Test
    void shouldRefusePixelDataThatEndsBeforeTheHeaderSays() throws Exception {
        byte[] full = resource("MR_small.dcm");
        byte[] cut =
                java.util.Arrays.copyOf(full, full.length - 1000); // 138 bytes follow the pixels
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.MEDICAL, cut, new ModelInput(8, 8, 1)))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("pixel data declares 8192 bytes");
    }

    /**
     * A JPEG-LS file whose meta group names another compressed syntax of the same length (so the
     * group length stays right): refused by that syntax's name before any pixel is read.
     */
    @ParameterizedTest
    @CsvSource({
        "1.2.840.10008.1.2.4.92, JPEG 2000 part 2 multi-component lossless",
        "1.2.840.10008.1.2.4.93, JPEG 2000 part 2 multi-component",
    })
    void shouldRefuseCompressedTransferSyntaxesItCannotDecodeByName(String uid, String syntax)
            throws Exception {
        byte[] bytes =
                Bytes.replacedAscii(
                        resource("MR_small_jpeg_ls_lossless.dcm"), "1.2.840.10008.1.2.4.80", uid);
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(bytes))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_FORMAT))
                .hasMessageContaining("transfer syntax " + uid)
                .hasMessageContaining("(" + syntax + ")");
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DicomReferenceTest.class.getResourceAsStream("/dicom/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** Binary 8-bit PGM (P5), as dcm2pnm +op writes it. */
    record Pgm(int width, int height, byte[] pixels) {
        static Pgm read(byte[] bytes) {
            int[] fields = new int[3];
            int at = 2; // "P5"
            for (int f = 0; f < 3; f++) {
                while (Character.isWhitespace(bytes[at]) || bytes[at] == '#') {
                    if (bytes[at] == '#') {
                        while (bytes[at] != '\n') {
                            at++;
                        }
                    }
                    at++;
                }
                int start = at;
                while (!Character.isWhitespace(bytes[at])) {
                    at++;
                }
                fields[f] =
                        Integer.parseInt(
                                new String(bytes, start, at - start, StandardCharsets.US_ASCII));
            }
            at++; // the single whitespace after maxval
            byte[] pixels = new byte[fields[0] * fields[1]];
            System.arraycopy(bytes, at, pixels, 0, pixels.length);
            return new Pgm(fields[0], fields[1], pixels);
        }
    }
}
