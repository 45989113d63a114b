package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class JpegMarkersTest {
    /**
     * Start-of-scan markers counted against a byte-by-byte count written here: random bytes with
     * many FF bytes (so FF DA pairs fall at every position of an eight-byte word, across word
     * boundaries and at the range's ends), at offsets into the array and lengths that are not whole
     * words.
     */
    @Test
    void shouldCountEveryStartOfScanMarkerInTheRange() {
        Random random = new Random(3);
        for (int round = 0; round < 2000; round++) {
            byte[] bytes = new byte[random.nextInt(200)];
            for (int i = 0; i < bytes.length; i++) {
                int pick = random.nextInt(8);
                bytes[i] = (byte) (pick == 0 ? 0xFF : pick == 1 ? 0xDA : random.nextInt(256));
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int to = from + random.nextInt(bytes.length - from + 1);
            int expected = 0;
            for (int at = from; at + 1 < to; at++) {
                if ((bytes[at] & 0xFF) == 0xFF && (bytes[at + 1] & 0xFF) == 0xDA) {
                    expected++;
                }
            }
            assertThat(JpegMarkers.scans(bytes, from, to))
                    .as("round %d, [%d, %d) of %d", round, from, to, bytes.length)
                    .isEqualTo(expected);
        }
    }

    @Test
    void shouldFindAMarkerAtEveryPositionOfAWord() {
        for (int length = 2; length <= 24; length++) {
            for (int at = 0; at + 1 < length; at++) {
                byte[] bytes = new byte[length];
                bytes[at] = (byte) 0xFF;
                bytes[at + 1] = (byte) 0xDA;
                assertThat(JpegMarkers.scans(bytes, 0, length)).as("%d of %d", at, length).isOne();
                // Its second byte outside the range: not counted.
                assertThat(JpegMarkers.scans(bytes, 0, at + 1)).isZero();
            }
        }
    }

    @Test
    void shouldStopCountingOnePastTheLimit() {
        byte[] bytes = new byte[2 * (JpegMarkers.MAX_SCANS + 50)];
        for (int at = 0; at < bytes.length; at += 2) {
            bytes[at] = (byte) 0xFF;
            bytes[at + 1] = (byte) 0xDA;
        }
        assertThat(JpegMarkers.scans(bytes, 0, bytes.length)).isEqualTo(JpegMarkers.MAX_SCANS + 1);
    }
}
