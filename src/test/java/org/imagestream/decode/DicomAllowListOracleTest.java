package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    private static String dcmdump(Path file) throws Exception {
        return PlantedDicom.dcmdump(file);
    }
}
