package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.imagestream.model.Domain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * De-identification of the real reference DICOMs (pydicom's NEMA CT/MR samples in every syntax, the
 * deflated file, the multi-frame RT dose): no identifying value of the original survives in the
 * bytes, the pixels are unchanged, and the result is deterministic per key.
 */
class DicomDeidentifierTest {
    private static final byte[] KEY = "test-key".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest
    @ValueSource(
            strings = {
                "CT_small",
                "MR_small",
                "MR_small_implicit",
                "MR_small_bigendian",
                "image_dfl",
                "rtdose",
                "rtdose_expb"
            })
    void shouldRemoveEveryIdentifyingValueAndKeepThePixels(String name) throws Exception {
        byte[] original = resource(name + ".dcm");
        byte[] deidentified = new DicomDeidentifier(KEY).deidentify(original);

        List<String> identifying = DicomIdentifiers.of(original);
        assertThat(identifying).as("%s carries identifying values to remove", name).isNotEmpty();
        String text = new String(deidentified, StandardCharsets.ISO_8859_1);
        for (String value : identifying) {
            assertThat(text).as("%s still contains %s", name, value).doesNotContain(value);
        }
        assertThat(text).contains("YES").contains(DicomDeidentifier.METHOD);

        // No sequence or private element is left at the top level; the file still parses.
        DicomFileMeta.Readable readable = DicomFileMeta.open(deidentified, DecodeLimits.DEFAULT);
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

        assertThat(new DicomDeidentifier(KEY).deidentify(original)).isEqualTo(deidentified);
        assertThat(
                        new DicomDeidentifier("other".getBytes(StandardCharsets.US_ASCII))
                                .deidentify(original))
                .isNotEqualTo(deidentified);
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = DicomDeidentifierTest.class.getResourceAsStream("/dicom/" + name)) {
            return in.readAllBytes();
        }
    }
}
