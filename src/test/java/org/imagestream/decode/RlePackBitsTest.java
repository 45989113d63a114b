package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The PackBits encoder of the RLE rebuild at the edges of its runs (PS3.5 G.3.1: a run of up to 128
 * equal bytes is 2 bytes, a literal of 1 to 128 bytes is 1 + its bytes; this encoder codes runs of
 * 3 or more, two equal bytes inside a literal). The expected lengths are that definition's
 * arithmetic; every output decodes back to its input (DCMTK decoding whole rebuilt files is
 * CompressedDicomReferenceTest's).
 */
class RlePackBitsTest {
    @ParameterizedTest
    @CsvSource({
        // equal bytes, then distinct ones: encoded length
        "128, 0, 2", // one run
        "129, 0, 4", // a run of 128 and a literal of 1
        "130, 0, 5", // a run of 128 and a literal of 2 (a run of 2 is not worth it)
        "131, 0, 4", // two runs, 128 and 3
        "0, 128, 129", // one literal of 128
        "0, 129, 131", // literals of 128 and 1
        "2, 0, 3", // two equal bytes: a literal of 2
        "3, 5, 8", // a run of 3, then a literal of 5
    })
    void shouldCodeRunsAndLiteralsAtTheirLimits(int equal, int distinct, int expected) {
        byte[] data = new byte[equal + distinct];
        Arrays.fill(data, 0, equal, (byte) 7);
        for (int i = 0; i < distinct; i++) {
            data[equal + i] = (byte) (i * 2 + 11); // no two neighbours equal
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RleLossless.packBits(data, out);
        assertThat(out.size()).isEqualTo(expected);
        assertThat(decoded(out.toByteArray(), data.length)).isEqualTo(data);
    }

    @Test
    void shouldDecodeBackToAnyInput() {
        Random random = new Random(16);
        for (int trial = 0; trial < 200; trial++) {
            byte[] data = new byte[random.nextInt(1000) + 1];
            for (int i = 0; i < data.length; i++) {
                // Runs of random lengths among random bytes.
                data[i] = random.nextInt(4) == 0 || i == 0 ? (byte) random.nextInt(4) : data[i - 1];
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RleLossless.packBits(data, out);
            assertThat(decoded(out.toByteArray(), data.length)).isEqualTo(data);
        }
    }

    private static byte[] decoded(byte[] packed, int count) {
        byte[] out = new byte[count];
        assertThat(RleLossless.unpackBits(packed, 0, packed.length, out, 0, 1, count))
                .isEqualTo(count);
        return out;
    }
}
