package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.imagestream.decode.DecodeException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Default JPEG-LS thresholds against values from outside this code: 8-bit lossless (3, 7, 21) is
 * T.87's basic set; 16-bit lossless (18, 67, 276) and NEAR 2 (24, 77, 290) are what DCMTK's and
 * GDCM's encoders wrote into their LSE segments (src/test/resources/dicom); MAXVAL 127 and 63, the
 * branch no encoder here writes, were worked out by hand from T.87 C.2.4.1.1 by a reviewer.
 */
class JpegLsParametersTest {
    @ParameterizedTest
    @CsvSource({
        "8, 0, 3, 7, 21",
        "16, 0, 18, 67, 276",
        "16, 2, 24, 77, 290",
        "7, 0, 2, 3, 10",
        "6, 2, 6, 11, 19",
    })
    void shouldDefaultTheThresholdsAsT87Does(int precision, int near, int t1, int t2, int t3)
            throws Exception {
        JpegLsParameters parameters =
                JpegLsParameters.of(precision, JpegLsParameters.Preset.NONE, near, this::corrupt);
        assertThat(new int[] {parameters.t1(), parameters.t2(), parameters.t3()})
                .containsExactly(t1, t2, t3);
        assertThat(parameters.reset()).isEqualTo(64);
    }

    @Test
    void shouldRefuseAPresetMaxValueAbovePrecisionAllows() {
        assertThatThrownBy(
                        () ->
                                JpegLsParameters.of(
                                        8,
                                        new JpegLsParameters.Preset(256, 0, 0, 0, 0),
                                        0,
                                        this::corrupt))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("MAXVAL 256");
    }

    private DecodeException corrupt(String problem) {
        return new DecodeException(Reason.CORRUPT, problem);
    }
}
