package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagestream.decode.DicomReferenceTest.resource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.decode.DicomReferenceTest.Pgm;
import org.imagestream.model.Domain;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.PlantedDicom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed DICOM against the reference decoders, on files other tools wrote ({@code
 * src/test/resources/dicom/regenerate.sh}): DCMTK's dcmcjpeg (JPEG lossless SV1 and process 14,
 * baseline, extended 8- and 12-bit, 2-frame files with an offset table and in 1 KiB fragments
 * without), dcmcjpls (JPEG-LS lossless and near-lossless), dcmcrle and img2dcm, GDCM's gdcmconv
 * (JPEG-LS through CharLS 2), and pydicom's RLE, 12-bit JPEG, JPEG-LS and JPEG 2000 files. The
 * stored samples must equal what DCMTK's dcmdjpeg/dcmdrle/dcmdjpls decompress them to (baseline,
 * through the JDK's libjpeg: within the IDCT's rounding; extended, hand-written with libjpeg's
 * IDCT: equal), or a lossless file's uncompressed original, JPEG 2000 what OpenJPEG's
 * opj_decompress decodes; through the whole medical decoder, a lossless file renders as DCMTK's
 * dcm2pnm renders its uncompressed original. The same holds for each file with identifying text
 * planted in its codestreams by pydicom once it is de-identified.
 */
class CompressedDicomReferenceTest {
    private static final DecodeLimits LIMITS = DecodeLimits.DEFAULT;

    /** The files the tests below plant text in, planted by one pydicom process for the class. */
    private static final List<String> PLANTED_FILES =
            List.of(
                    "MR_small_jpeg_sv1",
                    "CT_small_jpeg_p14",
                    "CT_small_rle",
                    "rtdose_rle_dcmtk",
                    "rtdose_rle",
                    "MR_two_frames_jpeg_bot",
                    "MR_two_frames_jpeg_fragments",
                    "MR_small_jpeg_baseline",
                    "MR_small_jpeg_extended",
                    "MR_two_frames_jpeg_extended",
                    "MR_two_frames_jpeg_extended_fragments",
                    "JPEG-lossy",
                    "image_dfl_jpeg_extended",
                    "CT_small_jpeg_ls",
                    "MR_small_jpeg_ls_lossless",
                    "MR_small_jpeg_ls_thresholds",
                    "MR_two_frames_jpeg_ls_fragments",
                    "CT_small_jpeg_ls_near",
                    "image_dfl_jpeg_ls_near",
                    "MR_small_12bit_jpeg_ls_gdcm",
                    "MR_small_12bit_jpeg_ls_near_gdcm",
                    "MR_crop_jpeg_extended_q10",
                    "MR_small_jp2klossless",
                    "JPEG2000");

    /** {@link #PLANTED_FILES} with text planted in their codestreams, by name. */
    private static Map<String, byte[]> plantedFiles;

    @BeforeAll
    static void plantCodestreams(@TempDir Path dir) throws Exception {
        Map<String, byte[]> originals = new HashMap<>();
        for (String name : PLANTED_FILES) {
            originals.put(name, resource(name + ".dcm"));
        }
        plantedFiles = PlantedDicom.plantedCodestreams(dir, originals);
    }

    @ParameterizedTest
    @CsvSource({
        "MR_small_jpeg_sv1, MR_small_jpeg_sv1.dcmd, 0",
        "CT_small_jpeg_p14, CT_small_jpeg_p14.dcmd, 0",
        "CT_small_rle, CT_small_rle.dcmd, 0",
        "rtdose_rle_dcmtk, rtdose_rle_dcmtk.dcmd, 0",
        "rtdose_rle, rtdose_rle.dcmd, 0",
        "MR_two_frames_jpeg_bot, MR_two_frames_jpeg_bot.dcmd, 0",
        "MR_two_frames_jpeg_fragments, MR_two_frames_jpeg_bot.dcmd, 0",
        "MR_small_jpeg_baseline, MR_small_jpeg_baseline.dcmd, 1",
        "MR_small_jpeg_extended, MR_small_jpeg_extended.dcmd, 0",
        "MR_two_frames_jpeg_extended, MR_two_frames_jpeg_extended.dcmd, 0",
        "MR_two_frames_jpeg_extended_fragments, MR_two_frames_jpeg_extended.dcmd, 0",
        "JPEG-lossy, JPEG-lossy.dcmd, 0",
        "image_dfl_jpeg_extended, image_dfl_jpeg_extended.dcmd, 0",
        "CT_small_jpeg_ls, CT_small, 0",
        "MR_small_jpeg_ls_lossless, MR_small, 0",
        "MR_small_jpeg_ls_thresholds, MR_small, 0",
        "MR_two_frames_jpeg_ls_fragments, MR_two_frames_jpeg_bot.dcmd, 0",
        "CT_small_jpeg_ls_near, CT_small_jpeg_ls_near.dcmd, 0",
        "image_dfl_jpeg_ls_near, image_dfl_jpeg_ls_near.dcmd, 0",
        "MR_small_12bit_jpeg_ls_gdcm, MR_small, 0",
        "MR_small_12bit_jpeg_ls_near_gdcm, MR_small_12bit_jpeg_ls_near_gdcm.dcmd, 0",
        "MR_crop_jpeg_extended_q10, MR_crop_jpeg_extended_q10.dcmd, 0",
    })
    void shouldStoreTheSamplesDcmtkDecompresses(
            String name, String reference, int tolerance, @TempDir Path dir) throws Exception {
        int[] dcmtk = nativeSamples(resourceMaybeGzipped(reference + ".dcm"));
        // The file as written, and the same file with text planted in every frame's codestream
        // (plant_codestreams.py; in RLE frames, where decoding never reads) once de-identified:
        // both must store what DCMTK decompresses.
        byte[] deidentified = plantedAndDeidentified(name);
        List<byte[]> files = List.of(resource(name + ".dcm"), deidentified);
        if (name.contains("rle")) {
            // The rebuilt RLE frames, as DCMTK decompresses them.
            Path rebuilt = Files.write(dir.resolve(name + ".rebuilt.dcm"), deidentified);
            PlantedDicom.dcmdrle(rebuilt, dir.resolve(name + ".rebuilt.dcmd.dcm"));
            assertThat(nativeSamples(Files.readAllBytes(dir.resolve(name + ".rebuilt.dcmd.dcm"))))
                    .as("DCMTK's samples of the rebuilt %s", name)
                    .isEqualTo(dcmtk);
        }
        for (byte[] file : files) {
            int[] ours = nativeSamples(decompressed(file));
            assertThat(ours).hasSameSizeAs(dcmtk);
            assertThat(worstDifference(ours, dcmtk))
                    .as("largest difference from DCMTK in %s", name)
                    .isLessThanOrEqualTo(tolerance);
            if (tolerance == 0) {
                assertThat(ours).isEqualTo(dcmtk);
            }
        }
    }

    /**
     * A JPEG baseline DICOM frame given 501 scans (an empty scan header repeated before its end
     * marker, the fragment's item length grown to match, PS3.5 A.4) is refused before libjpeg walks
     * them: libjpeg-turbo's scan limit applies to DICOM frames as to photos.
     */
    @Test
    void shouldRefuseAJpegFrameWithMoreScansThanLibjpegTurbosLimit() throws Exception {
        byte[] file = resource("MR_small_jpeg_baseline.dcm");
        byte[] pixelData = {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, -1, -1, -1, -1};
        int element = Bytes.indexOf(file, pixelData);
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int table = element + pixelData.length;
        int fragment = table + 8 + in.getInt(table + 4);
        int length = in.getInt(fragment + 4);
        int end = fragment + 8 + length;
        int endMarker = end - 2;
        while ((file[endMarker] & 0xFF) != 0xFF || (file[endMarker + 1] & 0xFF) != 0xD9) {
            endMarker--; // before the item's padding
        }
        byte[] scan = {(byte) 0xFF, (byte) 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0};
        java.io.ByteArrayOutputStream many = new java.io.ByteArrayOutputStream();
        many.write(file, 0, fragment + 4);
        many.writeBytes(
                ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(length + 501 * scan.length)
                        .array());
        many.write(file, fragment + 8, endMarker - (fragment + 8));
        for (int i = 0; i < 501; i++) {
            many.writeBytes(scan);
        }
        many.write(file, endMarker, file.length - endMarker);
        assertThat(DicomDecoder.decodeMedicalFullSize(file).pixels()).isNotEmpty();
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(many.toByteArray()))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> {
                            assertThat(e.reason()).isEqualTo(Reason.CORRUPT);
                            assertThat(e.getMessage()).contains("more than 500 scans");
                        });
    }

    /**
     * An RLE frame whose header names another segment count than its bits allocated need (the
     * decoder refuses it after de-identification) is refused by de-identification itself, so its
     * bytes never leave it as they were.
     */
    @Test
    void shouldRefuseAnRleFrameWithAnotherSegmentCountBeforeItLeavesDeidentification()
            throws Exception {
        byte[] file = resource("CT_small_rle.dcm");
        byte[] pixelData = {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, -1, -1, -1, -1};
        int element = Bytes.indexOf(file, pixelData);
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int table = element + pixelData.length;
        int frame = table + 8 + in.getInt(table + 4) + 8;
        assertThat(in.getInt(frame)).as("segments of a 16-bit frame").isEqualTo(2);
        byte[] three = file.clone();
        // Three segments, the third with a valid offset (the second's), so only the count is off.
        ByteBuffer.wrap(three)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(frame, 3)
                .putInt(frame + 12, in.getInt(frame + 8));
        assertThatThrownBy(
                        () -> new DicomDeidentifier(new byte[] {1}, LIMITS, true).deidentify(three))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT));
    }

    /**
     * An RLE file whose header claims 40000 x 40000 pixels (its frames are 128 x 128): rebuilding
     * its frames would allocate 1.6 GB per byte plane, so de-identification refuses it by its
     * geometry before allocating anything.
     */
    @Test
    void shouldRefuseToRebuildAnRleFrameLargerThanTheLimits() throws Exception {
        byte[] file = resource("CT_small_rle.dcm");
        byte[] huge = file.clone();
        for (byte[] tag : List.of(new byte[] {0x28, 0, 0x10, 0}, new byte[] {0x28, 0, 0x11, 0})) {
            int at = Bytes.indexOf(huge, Bytes.concat(tag, new byte[] {'U', 'S', 2, 0}));
            ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putShort(at + 8, (short) 40000);
        }
        assertThatThrownBy(
                        () -> new DicomDeidentifier(new byte[] {1}, LIMITS, true).deidentify(huge))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> {
                            assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
                            assertThat(e.getMessage()).contains("DICOM RLE frame");
                        });
    }

    /** The reference file with text planted in its codestreams by pydicom, de-identified. */
    private static byte[] plantedAndDeidentified(String name) throws Exception {
        assertThat(plantedFiles).as("%s is in PLANTED_FILES", name).containsKey(name);
        assertThat(new String(plantedFiles.get(name), StandardCharsets.ISO_8859_1))
                .contains("PLANT");
        // Burned-in text is accepted: some of these are secondary captures that do not declare
        // it, and this test is about the codestreams.
        byte[] deidentified =
                new DicomDeidentifier(
                                "reference-test-key".getBytes(StandardCharsets.US_ASCII),
                                DecodeLimits.DEFAULT,
                                true)
                        .deidentify(plantedFiles.get(name));
        assertThat(new String(deidentified, StandardCharsets.ISO_8859_1)).doesNotContain("PLANT");
        return deidentified;
    }

    /**
     * JPEG-LS without its LSE segment (turned into a comment of the same length): the encoders
     * wrote T.87's default thresholds there, so the decoder's own defaults must give the same
     * samples (16 bits: the threshold factor 16 branch; near-lossless: NEAR in the thresholds).
     */
    @ParameterizedTest
    @CsvSource({
        "MR_small_jpeg_ls_lossless, MR_small",
        "MR_small_12bit_jpeg_ls_near_gdcm, MR_small_12bit_jpeg_ls_near_gdcm.dcmd",
    })
    void shouldComputeTheDefaultThresholdsTheEncoderWroteOut(String name, String reference)
            throws Exception {
        byte[] file = resource(name + ".dcm");
        int lse = Bytes.marker(file, 0xF8);
        file[lse + 1] = (byte) 0xFE; // COM
        assertThat(nativeSamples(decompressed(file)))
                .isEqualTo(nativeSamples(resourceMaybeGzipped(reference + ".dcm")));
    }

    /**
     * DCMTK's img2dcm wraps a JPEG file unchanged (JPEG baseline, here with restart markers and
     * partial edge blocks): the stored samples are libjpeg-turbo's djpeg decoding of that file.
     */
    @Test
    void shouldStoreTheSamplesDjpegDecodesFromTheJpegImg2dcmWrapped() throws Exception {
        int[] ours = nativeSamples(decompressed(resource("jpeg_restart_img2dcm.dcm")));
        byte[] djpeg = Pgm.read(resource("jpeg_restart.djpeg.pgm")).pixels();
        int[] expected = new int[djpeg.length];
        for (int i = 0; i < djpeg.length; i++) {
            expected[i] = djpeg[i] & 0xFF;
        }
        assertThat(ours).isEqualTo(expected);
    }

    @Test
    void shouldRefuseANearLosslessScanUnderTheLosslessSyntax() throws Exception {
        byte[] relabelled =
                Bytes.replacedAscii(
                        resource("MR_small_12bit_jpeg_ls_near_gdcm.dcm"),
                        "1.2.840.10008.1.2.4.81",
                        "1.2.840.10008.1.2.4.80");
        assertThatThrownBy(() -> decompressed(relabelled))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("NEAR 2");
    }

    /**
     * JPEG 2000 against OpenJPEG (which shifts signed samples up by 2^(precision - 1)): exact when
     * lossless, within 1 for the lossy (irreversible 9/7 wavelet) file, where the two codecs round
     * their floating-point inverse transforms differently.
     */
    @ParameterizedTest
    @CsvSource({"MR_small_jp2klossless, 0", "JPEG2000, 1"})
    void shouldStoreTheSamplesOpenJpegDecodes(String name, int tolerance) throws Exception {
        for (byte[] original : List.of(resource(name + ".dcm"), plantedAndDeidentified(name))) {
            storesTheSamplesOpenJpegDecodes(name, decompressed(original), tolerance);
        }
    }

    private static void storesTheSamplesOpenJpegDecodes(String name, byte[] file, int tolerance)
            throws Exception {
        DicomHeader header = header(file);
        int[] ours = nativeSamples(file);
        byte[] pgm;
        try (GZIPInputStream in =
                new GZIPInputStream(new ByteArrayInputStream(resource(name + ".opj.pgm.gz")))) {
            pgm = in.readAllBytes();
        }
        int[] openJpeg = pgm16(pgm, header.columns() * header.rows());
        int shift = signedPixels(file) ? 1 << 15 : 0;
        for (int i = 0; i < openJpeg.length; i++) {
            openJpeg[i] -= shift;
        }
        assertThat(ours).hasSameSizeAs(openJpeg);
        assertThat(worstDifference(ours, openJpeg)).isLessThanOrEqualTo(tolerance);
    }

    /** Whole decoder: a lossless file renders as dcm2pnm renders its uncompressed original. */
    @ParameterizedTest
    @CsvSource({
        "MR_small_RLE, MR_small",
        "MR_small_jpeg_sv1, MR_small",
        "MR_small_jp2klossless, MR_small",
        "CT_small_jpeg_p14, CT_small",
        "CT_small_rle, CT_small",
    })
    void shouldRenderLikeDcmtkRendersTheUncompressedOriginal(String name, String original)
            throws Exception {
        DecodedPixels pixels = DicomDecoder.decodeMedicalFullSize(resource(name + ".dcm"));
        Pgm golden = Pgm.read(resource(original + ".golden.pgm"));
        assertThat(pixels.originalWidth()).isEqualTo(golden.width());
        assertThat(pixels.originalHeight()).isEqualTo(golden.height());
        int worst = 0;
        for (int i = 0; i < golden.pixels().length; i++) {
            int ours = Math.round(pixels.pixels()[i] * 255);
            worst = Math.max(worst, Math.abs(ours - (golden.pixels()[i] & 0xFF)));
        }
        assertThat(worst).as("largest difference from dcm2pnm for %s", name).isLessThanOrEqualTo(1);
    }

    @Test
    void shouldDecodeEveryFrameOfACompressedMultiFrameFile() throws Exception {
        ModelInput allFrames = new ModelInput(64, 64, 1).withFrame(DicomFrame.ALL);
        DecodedPixels bot =
                ImageDecoders.decode(
                        Domain.MEDICAL, resource("MR_two_frames_jpeg_bot.dcm"), allFrames);
        DecodedPixels reference =
                ImageDecoders.decode(
                        Domain.MEDICAL, resource("MR_two_frames_jpeg_bot.dcmd.dcm"), allFrames);
        assertThat(bot.parts()).isEqualTo(2);
        assertThat(bot.pixels()).isEqualTo(reference.pixels());
    }

    /** De-identification walks past encapsulated pixel data and keeps it byte for byte. */
    @Test
    void shouldDeidentifyACompressedFileAndKeepItsPixels() throws Exception {
        byte[] original = resource("MR_small_jpeg_sv1.dcm");
        assertThat(new String(original, StandardCharsets.ISO_8859_1)).contains("CompressedSamples");
        byte[] deidentified =
                new DicomDeidentifier(new byte[] {1, 2, 3}, LIMITS, false).deidentify(original);
        assertThat(new String(deidentified, StandardCharsets.ISO_8859_1))
                .doesNotContain("CompressedSamples");
        assertThat(nativeSamples(decompressed(deidentified)))
                .isEqualTo(nativeSamples(resource("MR_small_jpeg_sv1.dcmd.dcm")));
    }

    /**
     * A compressed file cut inside its pixel data (at 10, 50, 90 % of it, or just before its
     * sequence delimiter) is refused as TRUNCATED; a codestream cut short inside a fragment whose
     * item length was rewritten to match (so the DICOM structure is whole) too.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "MR_small_jpeg_sv1",
                "CT_small_rle",
                "MR_two_frames_jpeg_fragments",
                "MR_small_jp2klossless",
                "MR_small_jpeg_baseline",
                "MR_small_jpeg_extended",
                "MR_two_frames_jpeg_extended_fragments",
                "CT_small_jpeg_ls",
                "MR_two_frames_jpeg_ls_fragments"
            })
    void shouldRefuseATruncatedCompressedFileAsTruncated(String name) throws Exception {
        byte[] whole = resource(name + ".dcm");
        DicomHeader header = header(whole);
        int start = (int) header.pixelDataOffset();
        int end = header.pixelDataEnd();
        for (int cutAt :
                new int[] {
                    start + (end - start) / 10,
                    start + (end - start) / 2,
                    start + (end - start) * 9 / 10,
                    end - 8
                }) {
            byte[] cut = Arrays.copyOf(whole, cutAt);
            assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(cut))
                    .as("%s cut at byte %d of %d", name, cutAt, whole.length)
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
        }
        // The last fragment's codestream cut by a quarter, its item length and the file ended
        // to match: the DICOM structure is whole, the codestream is not.
        EncapsulatedPixelData.Fragment last = header.fragments().get(header.fragments().size() - 1);
        int kept = (last.length() * 3 / 4) & ~1;
        byte[] inner = Arrays.copyOf(whole, last.offset() + kept + 8);
        ByteBuffer.wrap(inner).order(ByteOrder.LITTLE_ENDIAN).putInt(last.offset() - 4, kept);
        ByteBuffer.wrap(inner)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(last.offset() + kept, 0xE0DDFFFE)
                .putInt(last.offset() + kept + 4, 0);
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(inner))
                .as("%s with its last codestream cut inside a whole structure", name)
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
    }

    @Test
    void shouldRefuseAFrameLargerThanItsHeaderDeclares() throws Exception {
        // Rows 64 -> 32 in the header: the codestream still says 64x64.
        byte[] file = resource("MR_small_jpeg_sv1.dcm");
        int rows = find(file, new byte[] {0x28, 0x00, 0x10, 0x00, 'U', 'S', 2, 0});
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putShort(rows + 8, (short) 32);
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(file))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("64x64")
                .hasMessageContaining("64x32");
    }

    /** Offset table entries off a fragment's start (1000) or not increasing (0 after 0). */
    @ParameterizedTest
    @ValueSource(ints = {1000, 0})
    void shouldRefuseAnOffsetTableThatDoesNotPointAtFragments(int secondOffset) throws Exception {
        byte[] file = resource("MR_two_frames_jpeg_bot.dcm");
        // The offset table item: (FFFE,E000) with length 8 right after the pixel data header.
        int table =
                find(file, new byte[] {(byte) 0xFE, (byte) 0xFF, 0x00, (byte) 0xE0, 8, 0, 0, 0});
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(table + 12, secondOffset);
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(file))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("Basic Offset Table");
    }

    @Test
    void shouldRefuseAnRleFrameWhoseSegmentsDoNotMatchItsBitsAllocated() throws Exception {
        byte[] file = resource("CT_small_rle.dcm");
        // The RLE header's segment count at the start of the first data fragment (after the
        // offset table item, found by walking its item tags by hand): 2 for 16-bit samples.
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int pixelData = find(file, new byte[] {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O'});
        int offsetTable = pixelData + 12;
        assertThat(in.getInt(offsetTable)).isEqualTo(0xE000FFFE);
        int firstFragment = offsetTable + 8 + in.getInt(offsetTable + 4);
        assertThat(in.getInt(firstFragment)).isEqualTo(0xE000FFFE);
        assertThat(in.getInt(firstFragment + 8)).isEqualTo(2);
        in.putInt(firstFragment + 8, 3);
        assertThatThrownBy(() -> DicomDecoder.decodeMedicalFullSize(file))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("segments");
    }

    private static byte[] decompressed(byte[] file) throws DecodeException {
        DicomFileMeta.Readable readable = DicomFileMeta.open(file, LIMITS);
        DicomHeader header =
                DicomHeader.read(file, readable.datasetOffset(), readable.transferSyntax());
        assertThat(header.encapsulated()).isTrue();
        DicomFileMeta.Readable copy =
                EncapsulatedPixelData.toNative(readable, header, new DecodeDeadline(60_000));
        // The decoder does not walk the copy again: the header it derives must be the copy's.
        assertThat(header.asNative())
                .isEqualTo(
                        DicomHeader.read(
                                copy.bytes(), copy.datasetOffset(), copy.transferSyntax()));
        return copy.bytes();
    }

    /** A resource, or its gzipped copy ({@code name.gz}) for the larger DCMTK outputs. */
    private static byte[] resourceMaybeGzipped(String name) throws IOException {
        if (CompressedDicomReferenceTest.class.getResource("/dicom/" + name) != null) {
            return resource(name);
        }
        try (GZIPInputStream in =
                new GZIPInputStream(new ByteArrayInputStream(resource(name + ".gz")))) {
            return in.readAllBytes();
        }
    }

    private static DicomHeader header(byte[] file) throws DecodeException {
        DicomFileMeta.Readable readable = DicomFileMeta.open(file, LIMITS);
        return DicomHeader.read(
                readable.bytes(), readable.datasetOffset(), readable.transferSyntax());
    }

    /** The stored samples of a native file, unsigned 8/16/32-bit little endian by its header. */
    private static int[] nativeSamples(byte[] file) throws DecodeException {
        DicomHeader header = header(file);
        assertThat(header.encapsulated()).isFalse();
        int bytes = (header.bitsAllocated() + 7) / 8;
        int count = (int) (header.expectedPixelBytes() / bytes);
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int[] samples = new int[count];
        for (int i = 0; i < count; i++) {
            int at = (int) header.pixelDataOffset() + i * bytes;
            samples[i] =
                    switch (bytes) {
                        case 1 -> file[at] & 0xFF;
                        case 2 -> in.getShort(at);
                        default -> in.getInt(at);
                    };
        }
        return samples;
    }

    private static boolean signedPixels(byte[] file) {
        int at = find(file, new byte[] {0x28, 0x00, 0x03, 0x01, 'U', 'S', 2, 0});
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getShort(at + 8) == 1;
    }

    /** A 16-bit binary PGM's samples (big endian, as PGM stores them). */
    private static int[] pgm16(byte[] pgm, int count) throws IOException {
        int headerEnd = pgm.length - 2 * count;
        String header = new String(pgm, 0, headerEnd, StandardCharsets.US_ASCII);
        assertThat(header).startsWith("P5").contains("65535");
        ByteBuffer in = ByteBuffer.wrap(pgm).order(ByteOrder.BIG_ENDIAN);
        int[] samples = new int[count];
        for (int i = 0; i < count; i++) {
            samples[i] = Short.toUnsignedInt(in.getShort(headerEnd + 2 * i));
        }
        return samples;
    }

    private static int worstDifference(int[] a, int[] b) {
        int worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static int find(byte[] file, byte[] pattern) {
        outer:
        for (int i = 132; i + pattern.length <= file.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (file[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
