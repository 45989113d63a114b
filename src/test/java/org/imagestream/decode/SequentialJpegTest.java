package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagestream.decode.DicomReferenceTest.resource;

import java.util.Arrays;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.decode.DicomReferenceTest.Pgm;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.DamagedStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hand-written sequential JPEG decoder on a file libjpeg-turbo's cjpeg wrote with a restart
 * marker every two blocks and partial blocks at the right and bottom edges, against djpeg's
 * decoding with the same integer inverse DCT ({@code src/test/resources/dicom/regenerate.sh}); the
 * 8- and 12-bit DICOM files DCMTK wrote are compared with dcmdjpeg in {@link
 * CompressedDicomReferenceTest}. (No 12-bit stream with restart markers: libjpeg-turbo 2.1 in
 * Debian 12 writes 12-bit JPEG only from 3.0 on, and DCMTK's encoder writes no restart markers.)
 * Then damaged streams: each ends as a {@link DecodeException} with its reason, never another
 * exception.
 */
class SequentialJpegTest {
    private static final int WIDTH = 75;
    private static final int HEIGHT = 53;

    @Test
    void shouldDecodeRestartIntervalsAndEdgeBlocksAsDjpegDoes() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        Pgm djpeg = Pgm.read(resource("jpeg_restart.djpeg.pgm"));
        assertThat(djpeg.width()).isEqualTo(WIDTH);
        assertThat(djpeg.height()).isEqualTo(HEIGHT);
        assertThat(count(jpeg, 0xFF, 0xDD)).as("a restart interval segment").isEqualTo(1);

        assertThat(decode(jpeg, 1)).isEqualTo(djpeg.pixels());
    }

    @Test
    void shouldWriteSamplesLittleEndianInTwoBytesWhenTheHeaderAllocatesSixteenBits()
            throws Exception {
        byte[] wide = decode(resource("jpeg_restart.jpg"), 2);
        byte[] djpeg = Pgm.read(resource("jpeg_restart.djpeg.pgm")).pixels();
        for (int i = 0; i < djpeg.length; i++) {
            assertThat(wide[2 * i]).isEqualTo(djpeg[i]);
            assertThat(wide[2 * i + 1]).isZero();
        }
    }

    @Test
    void shouldRefuseAMissingRestartMarker() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        int first = Bytes.marker(jpeg, 0xD0);
        jpeg[first + 1] = (byte) 0xD1; // the first restart marker numbered 1 instead of 0
        assertReason(jpeg, 1, Reason.CORRUPT, "lacks restart marker 0");
    }

    /**
     * One stray byte before the first restart marker: the marker is not where the interval ends
     * (caught a lookahead that had taken the stray byte and dropped it with the padding).
     */
    @Test
    void shouldRefuseAByteBetweenAnIntervalAndItsRestartMarker() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        int first = Bytes.marker(jpeg, 0xD0);
        byte[] stray = new byte[jpeg.length + 1];
        System.arraycopy(jpeg, 0, stray, 0, first);
        System.arraycopy(jpeg, first, stray, first + 1, jpeg.length - first);
        assertReason(stray, 1, Reason.CORRUPT, "lacks restart marker 0");
    }

    @Test
    void shouldRefuseAFrameOfAnotherSizeThanTheHeaders() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        assertThatThrownBy(() -> decode(jpeg, 1, WIDTH + 1, HEIGHT))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageContaining("is 75x53, the header declares 76x53");
    }

    @Test
    void shouldRefuseFrameHeadersItDoesNotDecode() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        int sof = Bytes.marker(jpeg, 0xC0);

        byte[] precision = jpeg.clone();
        precision[sof + 4] = 16;
        assertReason(precision, 2, Reason.CORRUPT, "16-bit samples");

        byte[] components = jpeg.clone();
        components[sof + 9] = 3;
        assertReason(components, 1, Reason.CORRUPT, "3 components");

        byte[] progressive = jpeg.clone();
        progressive[sof + 1] = (byte) 0xC2;
        assertReason(progressive, 1, Reason.UNSUPPORTED_FORMAT, "start-of-frame type ffc2");

        byte[] twelveBits = jpeg.clone();
        twelveBits[sof + 4] = 12;
        assertReason(twelveBits, 1, Reason.CORRUPT, "12-bit samples, the header allocates 8");
    }

    @Test
    void shouldRefuseAScanThatUsesAnUndefinedTable() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        int sos = Bytes.marker(jpeg, 0xDA);
        jpeg[sos + 6] = 0x23; // DC table 2, AC table 3: never defined
        assertReason(jpeg, 1, Reason.CORRUPT, "never defines");
    }

    @Test
    void shouldRefuseCodedDataThatEndsBeforeTheLastBlock() throws Exception {
        byte[] jpeg = resource("jpeg_restart.jpg");
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length / 2 + 2);
        cut[cut.length - 2] = (byte) 0xFF;
        cut[cut.length - 1] = (byte) 0xD9; // an end-of-image marker in the middle of the scan
        assertThatThrownBy(() -> decode(cut, 1))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT));
    }

    /**
     * Seeded damage to an 8-bit stream with restart markers and to DCMTK's 12-bit 61x45 stream with
     * 16-bit quantisation tables: every copy decodes or ends in a DecodeException, and both
     * outcomes occur.
     */
    @ParameterizedTest
    @CsvSource({"jpeg_restart.jpg, 75, 53, 1", "MR_crop_jpeg_extended_q10.dcm, 61, 45, 2"})
    void shouldEndEveryDamagedStreamInADecodeException(
            String name, int width, int height, int bytesPerSample) throws Exception {
        byte[] stream = Bytes.jpegCodestream(resource(name));
        DamagedStreams.Decoder decoder = damaged -> decode(damaged, bytesPerSample, width, height);
        decoder.decode(stream);
        DamagedStreams.Outcome outcome = DamagedStreams.decodeDamaged(stream, 51, 3000, decoder);
        assertThat(outcome.refused()).as("refused").isGreaterThan(150);
    }

    private static byte[] decode(byte[] jpeg, int bytesPerSample) throws DecodeException {
        return decode(jpeg, bytesPerSample, WIDTH, HEIGHT);
    }

    private static byte[] decode(byte[] jpeg, int bytesPerSample, int width, int height)
            throws DecodeException {
        byte[] out = new byte[7 + width * height * bytesPerSample];
        SequentialJpeg.decodeFrame(
                jpeg,
                0,
                jpeg.length,
                new NativeFrame(
                        width,
                        height,
                        bytesPerSample,
                        out,
                        7,
                        new DecodeDeadline(60_000),
                        "test frame"));
        return Arrays.copyOfRange(out, 7, out.length);
    }

    private static void assertReason(byte[] jpeg, int bytesPerSample, Reason reason, String text) {
        assertThatThrownBy(() -> decode(jpeg, bytesPerSample))
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(text);
    }

    private static int count(byte[] bytes, int first, int second) {
        int count = 0;
        for (int i = 0; i + 1 < bytes.length; i++) {
            if ((bytes[i] & 0xFF) == first && (bytes[i + 1] & 0xFF) == second) {
                count++;
            }
        }
        return count;
    }
}
