package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imagestream.model.Domain;
import org.imagestream.testing.PlantedDicom;
import org.imagestream.testing.PoisonPills;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * De-identification of the real reference DICOMs (pydicom's NEMA CT/MR samples in every syntax, the
 * deflated file, the multi-frame RT dose): no identifying value of the original survives in the
 * bytes, the pixels are unchanged, and the result is deterministic per key.
 */
class DicomDeidentifierTest {
    private static final byte[] KEY = "test-key".getBytes(StandardCharsets.US_ASCII);

    /**
     * A de-identifier that accepts burned-in text: secondary captures among the reference files do
     * not declare Burned In Annotation, and this suite is about what leaves the header and the
     * codestreams (the refusal is {@link DicomAllowListOracleTest}'s).
     */
    private static DicomDeidentifier deidentifier(byte[] key) {
        return new DicomDeidentifier(key, DecodeLimits.DEFAULT, true);
    }

    /** The uncompressed reference files and the header variants DCMTK renders. */
    static Stream<String> uncompressedFiles() {
        return Stream.concat(
                DicomReferenceTest.headerFiles(),
                Stream.of("MR_small_slope0", "MR_small_frames0", "image_be_ow"));
    }

    @org.junit.jupiter.api.Test
    void shouldInflateADeflatedFileToAQuarterOfTheBudgetForItsCopies() throws Exception {
        // The inflated file, the rewritten data set, its deflated output and the returned record
        // may be held at once: each may take a quarter of the 16 MiB budget. 1024 x 1536 16-bit
        // pixels (3 MiB) fit, 1024 x 2560 (5 MiB) do not.
        DecodeLimits limits = DecodeLimits.DEFAULT.withMaxDecodeMemory(16 << 20);
        DicomDeidentifier deidentifier = new DicomDeidentifier(KEY, limits);
        byte[] fits = PoisonPills.deflatedDicom(1024, 1536, 1024 * 1536 * 2);
        byte[] over = PoisonPills.deflatedDicom(1024, 2560, 1024 * 2560 * 2);
        assertThat(deidentifier.deidentify(fits)).isNotEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> deidentifier.deidentify(over))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TOO_LARGE));
    }

    @ParameterizedTest
    @MethodSource("uncompressedFiles")
    void shouldRemoveEveryIdentifyingValueAndKeepThePixels(String name) throws Exception {
        byte[] original = resource(name + ".dcm");
        byte[] deidentified = deidentifier(KEY).deidentify(original);

        List<String> identifying = DicomIdentifiers.of(original);
        assertThat(identifying).as("%s carries identifying values to remove", name).isNotEmpty();
        // A deflated file stays deflated (a record must not grow to its inflated size): its
        // values are searched for in the stored bytes and in the dataset inflated by java.util.zip.
        DicomFileMeta.Readable readable = DicomFileMeta.open(deidentified, DecodeLimits.DEFAULT);
        boolean deflated = name.equals("image_dfl");
        String text =
                new String(deidentified, StandardCharsets.ISO_8859_1)
                        + (deflated
                                ? new String(
                                        rawInflate(deidentified, readable.datasetOffset()),
                                        StandardCharsets.ISO_8859_1)
                                : "");
        for (String value : identifying) {
            assertThat(text).as("%s still contains %s", name, value).doesNotContain(value);
        }
        assertThat(text).contains("YES").contains(DicomDeidentifier.METHOD);
        assertThat(new String(deidentified, 0, 128, StandardCharsets.ISO_8859_1))
                .as("preamble of %s", name)
                .isEqualTo("\0".repeat(128));
        if (deflated) {
            assertThat(new String(deidentified, StandardCharsets.ISO_8859_1))
                    .contains("1.2.840.10008.1.2.1.99");
            assertThat(deidentified.length).isLessThan(readable.bytes().length);
        }

        // No sequence or private element is left at the top level; the file still parses.
        DicomHeader.walk(
                readable.bytes(),
                readable.datasetOffset(),
                readable.transferSyntax(),
                (tag, vr, start, valueAt, end, sequence) -> {
                    assertThat(sequence).as("sequence (%08X) in %s", tag, name).isFalse();
                    assertThat((tag >>> 16) & 1).as("private (%08X) in %s", tag, name).isZero();
                });

        ModelInput allFrames = new ModelInput(16, 16, 1).withFrame(DicomFrame.ALL);
        DecodedPixels before = ImageDecoders.decode(Domain.MEDICAL, original, allFrames);
        DecodedPixels after = ImageDecoders.decode(Domain.MEDICAL, deidentified, allFrames);
        assertThat(after.pixels()).containsExactly(before.pixels());
        assertThat(after.extras()).isEqualTo(before.extras());

        assertThat(deidentifier(KEY).deidentify(original)).isEqualTo(deidentified);
        assertThat(deidentifier("other".getBytes(StandardCharsets.US_ASCII)).deidentify(original))
                .isNotEqualTo(deidentified);
    }

    /** {@link #compressedFiles()} with text planted in their codestreams, by name. */
    private static Map<String, byte[]> plantedCompressedFiles;

    @BeforeAll
    static void plantCompressedFiles(@TempDir Path dir) throws Exception {
        Map<String, byte[]> originals = new HashMap<>();
        for (String name : compressedFiles().toList()) {
            originals.put(name, resource(name + ".dcm"));
        }
        plantedCompressedFiles = PlantedDicom.plantedCodestreams(dir, originals);
    }

    /** Compressed reference files of every decoded codec but RLE, one and two frames. */
    static Stream<String> compressedFiles() {
        return Stream.of(
                "MR_small_jpeg_baseline",
                "MR_small_jpeg_extended",
                "MR_small_jpeg_sv1",
                "CT_small_jpeg_p14",
                "MR_two_frames_jpeg_bot",
                "MR_two_frames_jpeg_fragments",
                "MR_two_frames_jpeg_extended_fragments",
                "JPEG-lossy",
                "CT_small_jpeg_ls",
                "CT_small_jpeg_ls_near",
                "MR_small_jpeg_ls_thresholds",
                "MR_two_frames_jpeg_ls_fragments",
                "JPEG2000",
                "MR_small_jp2klossless");
    }

    /**
     * Identifying text inside the codestreams (pydicom plants a comment and an EXIF segment and
     * text after the end marker in every JPEG and JPEG-LS frame, comments in a JPEG 2000 frame's
     * main and tile-part headers: {@code plant_codestreams.py}) is gone from the de-identified
     * bytes, and every frame decodes to the same pixels as the reference file it was planted in;
     * the reference file itself de-identifies to the same pixels too.
     */
    @ParameterizedTest
    @MethodSource("compressedFiles")
    void shouldRemoveTextPlantedInsideCompressedFrames(String name) throws Exception {
        byte[] planted = plantedCompressedFiles.get(name);
        assertThat(new String(planted, StandardCharsets.ISO_8859_1)).contains("PLANT");

        byte[] deidentified = deidentifier(KEY).deidentify(planted);
        assertThat(new String(deidentified, StandardCharsets.ISO_8859_1))
                .doesNotContain("PLANT")
                .doesNotContain("DOE^JOHN");
        ModelInput allFrames = new ModelInput(16, 16, 1).withFrame(DicomFrame.ALL);
        float[] expected =
                ImageDecoders.decode(Domain.MEDICAL, resource(name + ".dcm"), allFrames).pixels();
        assertThat(ImageDecoders.decode(Domain.MEDICAL, deidentified, allFrames).pixels())
                .containsExactly(expected);
        byte[] clean = deidentifier(KEY).deidentify(resource(name + ".dcm"));
        assertThat(ImageDecoders.decode(Domain.MEDICAL, clean, allFrames).pixels())
                .containsExactly(expected);
    }

    private static byte[] rawInflate(byte[] file, int from) throws Exception {
        java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
        inflater.setInput(file, from, file.length - from);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (!inflater.finished()) {
            int n = inflater.inflate(buffer);
            if (n == 0 && inflater.needsInput()) {
                break;
            }
            out.write(buffer, 0, n);
        }
        inflater.end();
        return out.toByteArray();
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = DicomDeidentifierTest.class.getResourceAsStream("/dicom/" + name)) {
            return in.readAllBytes();
        }
    }
}
