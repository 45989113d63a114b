package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imagestream.model.Domain;
import org.imagestream.testing.PlantedDicom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * De-identification checked by tools other than the project's code: pydicom (Debian's
 * python3-pydicom) writes DICOM files with a planted identifier in every attribute group (patient,
 * study, physicians, institution, device, order numbers, comments, sequences, overlays, curves,
 * private elements, file meta private information, the preamble) in implicit VR, explicit VR little
 * and big endian and deflated ({@code dicom-oracle/plant.py}); DCMTK's {@code dcmdump} (Debian's
 * dcmtk) lists every element of the de-identified file. Every element it lists must be on the
 * allow-list below (written here from the list of what may be kept, not taken from {@link
 * DicomDeidentifier}), no planted value may appear in the bytes or in dcmdump's listing (which
 * shows the inflated dataset of a deflated file), and the pixels must decode as before.
 */
class DicomAllowListOracleTest {
    private static final byte[] KEY = "oracle-test-key".getBytes(StandardCharsets.US_ASCII);

    /**
     * What may be left: the image pixel, plane, modality LUT and VOI LUT modules, modality and body
     * part, the SOP class, pseudonymised UIDs, the de-identification marker, file meta.
     */
    private static final Set<String> ALLOWED =
            Set.of(
                    "0002,0000",
                    "0002,0001",
                    "0002,0002",
                    "0002,0003",
                    "0002,0010",
                    "0002,0012",
                    "0008,0016",
                    "0008,0018",
                    "0008,0060",
                    "0012,0062",
                    "0012,0063",
                    "0018,0015",
                    "0020,000d",
                    "0020,000e",
                    "0020,0052",
                    "0028,0002",
                    "0028,0004",
                    "0028,0010",
                    "0028,0011",
                    "0028,0100",
                    "0028,0101",
                    "0028,0102",
                    "0028,0103",
                    "0028,1050",
                    "0028,1051",
                    "0028,1052",
                    "0028,1053",
                    "7fe0,0010");

    private static final Pattern ELEMENT =
            Pattern.compile("^(\\s*)\\(([0-9a-f]{4},[0-9a-f]{4})\\)");

    @TempDir static Path dir;

    @BeforeAll
    static void plant() throws Exception {
        PlantedDicom.write(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"implicit.dcm", "explicit.dcm", "bigendian.dcm", "deflated.dcm"})
    void shouldKeepOnlyAllowedElementsAndNoPlantedValue(String file) throws Exception {
        byte[] original = Files.readAllBytes(dir.resolve(file));
        String before = dcmdump(dir.resolve(file));
        assertThat(before).as("the planted file carries the values").contains("PLANTNAME^JOHN");

        byte[] deidentified = new DicomDeidentifier(KEY).deidentify(original);
        Path out = dir.resolve("deidentified-" + file);
        Files.write(out, deidentified);
        String listing = dcmdump(out);

        Set<String> present = new TreeSet<>();
        List<String> nested = new ArrayList<>();
        for (String line : listing.split("\n")) {
            Matcher element = ELEMENT.matcher(line);
            if (element.find()) {
                if (!element.group(1).isEmpty()) {
                    nested.add(line);
                }
                present.add(element.group(2));
            }
        }
        assertThat(nested).as("elements inside sequences in %s", file).isEmpty();
        assertThat(present).as("elements dcmdump lists in %s", file).isSubsetOf(ALLOWED);
        assertThat(present).contains("7fe0,0010", "0028,0010", "0012,0062");

        String bytes = new String(deidentified, StandardCharsets.ISO_8859_1);
        for (String text : new String[] {bytes, listing}) {
            assertThat(text)
                    .doesNotContain(PlantedDicom.TEXT_MARK)
                    .doesNotContain(PlantedDicom.BIRTH_DATE);
            assertThat(text).as("a planted UID in %s", file).doesNotContain(PlantedDicom.UID_MARK);
        }
        assertThat(new String(deidentified, 0, 128, StandardCharsets.ISO_8859_1))
                .isEqualTo("\0".repeat(128));

        ModelInput input = new ModelInput(8, 8, 1);
        assertThat(ImageDecoders.decode(Domain.MEDICAL, deidentified, input).pixels())
                .containsExactly(ImageDecoders.decode(Domain.MEDICAL, original, input).pixels());
    }

    /**
     * Every replaced UID, in the file meta and the data set, is the pseudonym the README's formula
     * gives (computed by Python's {@code hmac}, read back by pydicom), in every transfer syntax;
     * and one de-identifier shared by four threads writes the same bytes as alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"implicit.dcm", "explicit.dcm", "bigendian.dcm", "deflated.dcm"})
    void shouldReplaceEveryUidWithItsKeyedPseudonym(String file) throws Exception {
        byte[] original = Files.readAllBytes(dir.resolve(file));
        DicomDeidentifier deidentifier = new DicomDeidentifier(KEY);
        byte[] deidentified = deidentifier.deidentify(original);
        Path out = dir.resolve("pseudonymised-" + file);
        Files.write(out, deidentified);

        List<String> lines =
                PlantedDicom.pseudonyms(
                        new String(KEY, StandardCharsets.US_ASCII), dir.resolve(file), out);
        assertThat(lines).as("UIDs pydicom read from %s", file).hasSize(5);
        for (String line : lines) {
            String[] keywordExpectedActual = line.split(" ");
            assertThat(keywordExpectedActual).as(line).hasSize(3);
            assertThat(keywordExpectedActual[1]).startsWith("2.25.");
            assertThat(keywordExpectedActual[2])
                    .as("%s in %s", keywordExpectedActual[0], file)
                    .isEqualTo(keywordExpectedActual[1]);
        }

        java.util.concurrent.ExecutorService threads =
                java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<byte[]>> copies = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                copies.add(threads.submit(() -> deidentifier.deidentify(original)));
            }
            for (java.util.concurrent.Future<byte[]> copy : copies) {
                assertThat(copy.get()).isEqualTo(deidentified);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void shouldRefuseBurnedInAnnotationUnlessTheSiteAcceptsIt() throws Exception {
        byte[] burnedIn = Files.readAllBytes(dir.resolve("burned-in.dcm"));
        assertThatThrownBy(() -> new DicomDeidentifier(KEY).deidentify(burnedIn))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e ->
                                assertThat(e.reason())
                                        .isEqualTo(DecodeException.Reason.BURNED_IN_ANNOTATION));
        byte[] accepted =
                new DicomDeidentifier(KEY, DecodeLimits.DEFAULT, true).deidentify(burnedIn);
        Path out = dir.resolve("deidentified-burned-in.dcm");
        Files.write(out, accepted);
        assertThat(dcmdump(out)).contains("(0028,0301) CS [YES]").doesNotContain("PLANT");
    }

    /**
     * Kept attributes spelled to carry text (pydicom's {@code hostile.dcm}): Smallest Image Pixel
     * Value as LT, a palette LUT on a grey image, float pixel data beside the pixels, a frame
     * pointer to the patient's name: none is on the test's allow-list, so dcmdump must list none of
     * them, and no planted text may be left. The overlay pydicom put in bit 15 of every third pixel
     * word (Bits Stored 12, High Bit 11) is cleared: the last 128 bytes of the file, the 8 x 8
     * words of Pixel Data, read here as little-endian shorts, are all below 2^12; the decoded
     * pixels are unchanged.
     */
    @Test
    void shouldDropKeptAttributesSpelledToCarryTextAndClearUnusedPixelBits() throws Exception {
        byte[] original = Files.readAllBytes(dir.resolve("hostile.dcm"));
        String before = dcmdump(dir.resolve("hostile.dcm"));
        assertThat(before).contains("(0028,0106) LT", "(0028,1201) OW", "(7fe0,0008) OF");
        byte[] deidentified = new DicomDeidentifier(KEY).deidentify(original);
        Path out = dir.resolve("deidentified-hostile.dcm");
        Files.write(out, deidentified);
        String listing = dcmdump(out);
        Set<String> present = new TreeSet<>();
        for (String line : listing.split("\n")) {
            Matcher element = ELEMENT.matcher(line);
            if (element.find()) {
                present.add(element.group(2));
            }
        }
        // The palette descriptor (three numbers) may stay; the palette's data may not, on a grey
        // image.
        Set<String> allowed = new TreeSet<>(ALLOWED);
        allowed.add("0028,1101");
        assertThat(present).isSubsetOf(allowed).contains("7fe0,0010").doesNotContain("0028,1201");
        String bytes = new String(deidentified, StandardCharsets.ISO_8859_1);
        assertThat(bytes).doesNotContain(PlantedDicom.TEXT_MARK);
        assertThat(listing).doesNotContain(PlantedDicom.TEXT_MARK);
        // A Modality of 60 control characters and CT: not a code string, however trimmed.
        assertThat(new String(original, StandardCharsets.ISO_8859_1)).contains("\u0001".repeat(60));
        assertThat(bytes).doesNotContain("\u0001".repeat(60));
        java.nio.ShortBuffer words =
                java.nio.ByteBuffer.wrap(deidentified, deidentified.length - 128, 128)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .asShortBuffer();
        int highBitsSet = 0;
        for (int i = 0; i < 64; i++) {
            highBitsSet += (words.get(i) & 0xF000) != 0 ? 1 : 0;
        }
        assertThat(highBitsSet).as("pixel words with bits above High Bit").isZero();
        java.nio.ShortBuffer sent =
                java.nio.ByteBuffer.wrap(original, original.length - 128, 128)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .asShortBuffer();
        assertThat(sent.get(0) & 0x8000).as("the planted overlay bit").isNotZero();
        ModelInput input = new ModelInput(8, 8, 1);
        assertThat(ImageDecoders.decode(Domain.MEDICAL, deidentified, input).pixels())
                .containsExactly(ImageDecoders.decode(Domain.MEDICAL, original, input).pixels());
    }

    /**
     * Fail closed: Burned In Annotation spelled "yes" is not NO; an attribute or file meta element
     * present twice (DCMTK warns and takes the first, another reader may take the second) is
     * refused rather than guessed.
     */
    @Test
    void shouldRefuseLowerCaseBurnedInAnnotationAndDuplicatedElements() throws Exception {
        assertThat(dcmdump(dir.resolve("burned-in-lower.dcm"))).contains("(0028,0301) CS [yes]");
        Map<String, DecodeException.Reason> expected =
                Map.of(
                        "burned-in-lower.dcm", DecodeException.Reason.BURNED_IN_ANNOTATION,
                        "meta-twice.dcm", DecodeException.Reason.CORRUPT,
                        "rows-twice.dcm", DecodeException.Reason.CORRUPT);
        for (Map.Entry<String, DecodeException.Reason> file : expected.entrySet()) {
            byte[] bytes = Files.readAllBytes(dir.resolve(file.getKey()));
            assertThatThrownBy(() -> new DicomDeidentifier(KEY).deidentify(bytes))
                    .as(file.getKey())
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(file.getValue()));
        }
    }

    /**
     * Fail closed on a missing Burned In Annotation where PS3.15 expects text in the pixels: an
     * ultrasound and a secondary capture that do not declare it are refused unless the site accepts
     * such files, however spelled (a lower-case or multi-valued modality, the SOP class only in the
     * file meta); an ultrasound that declares NO, and a CT that declares nothing, pass.
     */
    @Test
    void shouldRefuseUltrasoundAndSecondaryCaptureThatDoNotDeclareBurnedInAnnotation()
            throws Exception {
        for (String name :
                List.of(
                        "ultrasound.dcm",
                        "secondary-capture.dcm",
                        "ultrasound-lower.dcm",
                        "multi-modality.dcm",
                        "sc-meta-only.dcm")) {
            String dump = dcmdump(dir.resolve(name));
            assertThat(dump).as(name).doesNotContain("(0028,0301)");
            byte[] bytes = Files.readAllBytes(dir.resolve(name));
            assertThatThrownBy(() -> new DicomDeidentifier(KEY).deidentify(bytes))
                    .as(name)
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e ->
                                    assertThat(e.reason())
                                            .isEqualTo(
                                                    DecodeException.Reason.BURNED_IN_ANNOTATION));
            assertThat(new DicomDeidentifier(KEY, DecodeLimits.DEFAULT, true).deidentify(bytes))
                    .as("%s accepted by the site", name)
                    .isNotEmpty();
        }
        assertThat(dcmdump(dir.resolve("ultrasound-lower.dcm"))).contains("CS [us]");
        assertThat(dcmdump(dir.resolve("multi-modality.dcm"))).contains("CS [OT\\US]");
        assertThat(dcmdump(dir.resolve("sc-meta-only.dcm")))
                .contains("(0002,0002) UI =SecondaryCaptureImageStorage")
                .doesNotContain("(0008,0016)");
        assertThat(dcmdump(dir.resolve("ultrasound-bia-no.dcm"))).contains("(0028,0301) CS [NO]");
        assertThat(dcmdump(dir.resolve("explicit.dcm"))).doesNotContain("(0028,0301)");
        for (String name : List.of("ultrasound-bia-no.dcm", "explicit.dcm")) {
            assertThat(new DicomDeidentifier(KEY).deidentify(Files.readAllBytes(dir.resolve(name))))
                    .as(name)
                    .isNotEmpty();
        }
    }

    private static String dcmdump(Path file) throws Exception {
        return PlantedDicom.dcmdump(file);
    }
}
