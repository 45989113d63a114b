package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagestream.decode.DicomReferenceTest.resource;

import java.util.Arrays;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.DamagedStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hand-written JPEG-LS decoder on damaged and unusual codestreams (its samples are compared
 * with DCMTK's dcmdjpls in {@link CompressedDicomReferenceTest}): the codestream of a 64x64 16-bit
 * file DCMTK's dcmcjpls wrote with its own thresholds in an LSE segment. Every damaged stream ends
 * as a {@link DecodeException} with its reason, never another exception.
 */
class JpegLsTest {
    private static final int SIDE = 64;

    @Test
    void shouldRefuseWhatDicomEncodersDoNotWriteByName() throws Exception {
        byte[] stream = codestream();
        int sos = Bytes.marker(stream, 0xDA);

        byte[] pointTransform = stream.clone();
        pointTransform[sos + 9] = 1;
        assertReason(pointTransform, Reason.UNSUPPORTED_FORMAT, "point transforms");

        byte[] mappingTable = stream.clone();
        mappingTable[sos + 6] = 1;
        assertReason(mappingTable, Reason.UNSUPPORTED_FORMAT, "mapping tables");

        int lse = Bytes.marker(stream, 0xF8);
        byte[] mappingSegment = stream.clone();
        mappingSegment[lse + 4] = 2;
        assertReason(mappingSegment, Reason.UNSUPPORTED_FORMAT, "type 2 (mapping tables)");

        byte[] oversize = stream.clone();
        oversize[lse + 4] = 4;
        assertReason(oversize, Reason.UNSUPPORTED_FORMAT, "type 4 (oversize dimensions)");

        // A restart interval segment in place of the LSE segment's first 6 bytes, the rest a COM.
        byte[] restart = stream.clone();
        byte[] dri = {(byte) 0xFF, (byte) 0xDD, 0, 4, 0, 8, (byte) 0xFF, (byte) 0xFE, 0, 7};
        System.arraycopy(dri, 0, restart, lse, dri.length);
        assertReason(restart, Reason.UNSUPPORTED_FORMAT, "restart intervals");
    }

    @Test
    void shouldRefuseParametersOutsideTheirRanges() throws Exception {
        byte[] stream = codestream();
        int sof = Bytes.marker(stream, 0xF7);
        int sos = Bytes.marker(stream, 0xDA);
        int lse = Bytes.marker(stream, 0xF8);

        byte[] precision = stream.clone();
        precision[sof + 4] = 17;
        assertReason(precision, Reason.CORRUPT, "17-bit samples");

        byte[] near = stream.clone();
        near[sos + 7] = (byte) 200; // NEAR may be at most min(255, MAXVAL / 2) = 255 ...
        byte[] maxValue = near.clone();
        maxValue[lse + 5] = 0;
        maxValue[lse + 6] = 100; // ... but MAXVAL 100 allows 50
        assertReason(maxValue, Reason.CORRUPT, "MAXVAL 100 or NEAR 200 out of range");

        byte[] thresholds = stream.clone();
        thresholds[lse + 7] = 0;
        thresholds[lse + 8] = 40; // T1 40 above T2 11
        assertReason(thresholds, Reason.CORRUPT, "thresholds out of range");

        byte[] components = stream.clone();
        components[sof + 9] = 3;
        assertReason(components, Reason.CORRUPT, "3 components");
    }

    @Test
    void shouldRefuseCodedDataThatEndsBeforeTheLastLine() throws Exception {
        byte[] stream = codestream();
        byte[] cut = Arrays.copyOf(stream, stream.length / 2 + 2);
        cut[cut.length - 2] = (byte) 0xFF;
        cut[cut.length - 1] = (byte) 0xD9;
        assertThatThrownBy(() -> decode(cut, 2))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT));
    }

    /**
     * Seeded damage to three codestreams (16-bit lossless with an LSE segment, 8-bit near-lossless
     * with default thresholds, 12-bit-in-16 near-lossless from CharLS 2), each of which decodes
     * whole: every copy decodes or ends in a DecodeException.
     */
    @ParameterizedTest
    @CsvSource({
        "MR_small_jpeg_ls_thresholds, 64, 64, 2, 3000",
        "image_dfl_jpeg_ls_near, 512, 512, 1, 300",
        "MR_small_12bit_jpeg_ls_near_gdcm, 64, 64, 2, 3000",
    })
    void shouldEndEveryDamagedStreamInADecodeException(
            String name, int width, int height, int bytesPerSample, int copies) throws Exception {
        byte[] stream = Bytes.jpegCodestream(resource(name + ".dcm"));
        DamagedStreams.Decoder decoder = damaged -> decode(damaged, bytesPerSample, width, height);
        decoder.decode(stream);
        DamagedStreams.Outcome outcome = DamagedStreams.decodeDamaged(stream, 80, copies, decoder);
        assertThat(outcome.refused()).as("refused").isGreaterThan(copies / 20);
    }

    @Test
    void shouldRefuseARestartIntervalInAnyOfItsWidths() throws Exception {
        byte[] stream = codestream();
        int lse = Bytes.marker(stream, 0xF8);
        // A restart interval of 3 bytes (length 5) in place of the LSE segment, the rest a COM.
        byte[] dri = {(byte) 0xFF, (byte) 0xDD, 0, 5, 0, 0, 8, (byte) 0xFF, (byte) 0xFE, 0, 6};
        System.arraycopy(dri, 0, stream, lse, dri.length);
        assertReason(stream, Reason.UNSUPPORTED_FORMAT, "restart intervals");
    }

    /** The one fragment's codestream of MR_small_jpeg_ls_thresholds.dcm, SOI to EOI. */
    private static byte[] codestream() throws Exception {
        return Bytes.jpegCodestream(resource("MR_small_jpeg_ls_thresholds.dcm"));
    }

    private static byte[] decode(byte[] stream, int bytesPerSample) throws DecodeException {
        return decode(stream, bytesPerSample, SIDE, SIDE);
    }

    private static byte[] decode(byte[] stream, int bytesPerSample, int width, int height)
            throws DecodeException {
        byte[] out = new byte[width * height * bytesPerSample];
        JpegLs.decodeFrame(
                stream,
                0,
                stream.length,
                new NativeFrame(
                        width,
                        height,
                        bytesPerSample,
                        out,
                        0,
                        new DecodeDeadline(60_000),
                        "test frame"));
        return out;
    }

    private static void assertReason(byte[] stream, Reason reason, String text) {
        assertThatThrownBy(() -> decode(stream, 2))
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(text);
    }
}
