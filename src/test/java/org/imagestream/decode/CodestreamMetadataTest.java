package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagestream.testing.Bytes.concat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Codestream layouts the reference files do not have, written here from T.81, T.87 and T.800 with
 * every expected byte counted by the test: a comment between two scans and an application segment
 * after the frame header, stray bytes between segments, JPEG-LS mapping tables, a JPEG 2000 main
 * header with tile-part lengths (TLM) around a comment and a tile-part header with a comment.
 */
class CodestreamMetadataTest {
    @Test
    void shouldDropJpegMetadataWhereverItSitsAndKeepEveryOtherByte() throws Exception {
        byte[] frame = segment(0xC0, new byte[9]);
        byte[] table = segment(0xC4, new byte[20]);
        byte[] scan1 =
                concat(segment(0xDA, new byte[8]), bytes(0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56));
        byte[] scan2 = concat(segment(0xDA, new byte[8]), bytes(0x78, 0x9A));
        byte[] jpeg =
                concat(
                        bytes(0xFF, 0xD8),
                        frame,
                        segment(0xE1, text("Exif\0\0PLANT")),
                        table,
                        scan1,
                        segment(0xFE, text("PLANT between scans")),
                        text("stray"),
                        scan2,
                        bytes(0xFF, 0xD9),
                        text("PLANT after the end"));
        byte[] clean = CodestreamMetadata.jpeg(jpeg, 0, jpeg.length, false);
        assertThat(clean)
                .isEqualTo(
                        concat(bytes(0xFF, 0xD8), frame, table, scan1, scan2, bytes(0xFF, 0xD9)));
    }

    @Test
    void shouldKeepJpegLsParametersAndDropItsMappingTables() throws Exception {
        byte[] frame = segment(0xF7, new byte[9]);
        byte[] parameters = segment(0xF8, bytes(1, 0, 255, 0, 3, 0, 7, 0, 21, 0, 64));
        byte[] mapping = segment(0xF8, concat(bytes(2, 1, 1), text("PLANT mapping table")));
        // T.87: an FF in coded data is followed by a byte below 80h, never a marker.
        byte[] scan = concat(segment(0xDA, new byte[6]), bytes(0x11, 0xFF, 0x7F, 0x22));
        byte[] jpegLs =
                concat(bytes(0xFF, 0xD8), frame, parameters, mapping, scan, bytes(0xFF, 0xD9));
        assertThat(CodestreamMetadata.jpeg(jpegLs, 0, jpegLs.length, true))
                .isEqualTo(concat(bytes(0xFF, 0xD8), frame, parameters, scan, bytes(0xFF, 0xD9)));
        byte[] cut = java.util.Arrays.copyOf(jpegLs, jpegLs.length - 2);
        assertThatThrownBy(() -> CodestreamMetadata.jpeg(cut, 0, cut.length, true))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TRUNCATED));
    }

    @Test
    void shouldDropJpeg2000CommentsAndTheTileLengthsTheyInvalidate() throws Exception {
        byte[] siz = j2kSegment(0xFF51, new byte[38]);
        byte[] cod = j2kSegment(0xFF52, new byte[10]);
        byte[] tlm = j2kSegment(0xFF55, bytes(0, 0x40, 0, 0, 0, 60));
        byte[] comment = j2kSegment(0xFF64, concat(bytes(0, 1), text("PLANT main")));
        byte[] tileComment = j2kSegment(0xFF64, concat(bytes(0, 1), text("PLANT tile")));
        byte[] data = bytes(1, 2, 3, 4, 5, 6);
        int tileLength = 12 + tileComment.length + 2 + data.length;
        byte[] codestream =
                concat(
                        bytes(0xFF, 0x4F),
                        siz,
                        tlm,
                        comment,
                        cod,
                        sot(tileLength),
                        tileComment,
                        bytes(0xFF, 0x93),
                        data,
                        bytes(0xFF, 0xD9),
                        bytes(0xFF, 0xFF));
        byte[] clean = CodestreamMetadata.jpeg2000(codestream, 0, codestream.length);
        assertThat(clean)
                .isEqualTo(
                        concat(
                                bytes(0xFF, 0x4F),
                                siz,
                                cod,
                                sot(tileLength - tileComment.length),
                                bytes(0xFF, 0x93),
                                data,
                                bytes(0xFF, 0xD9)));
        assertThat(new String(clean, StandardCharsets.ISO_8859_1)).doesNotContain("PLANT");
    }

    private static byte[] sot(int tileLength) {
        return ByteBuffer.allocate(12)
                .putShort((short) 0xFF90)
                .putShort((short) 10)
                .putShort((short) 0) // tile 0
                .putInt(tileLength)
                .put((byte) 0)
                .put((byte) 1)
                .array();
    }

    private static byte[] j2kSegment(int marker, byte[] body) {
        return ByteBuffer.allocate(4 + body.length)
                .putShort((short) marker)
                .putShort((short) (2 + body.length))
                .put(body)
                .array();
    }

    private static byte[] segment(int marker, byte[] body) {
        return concat(bytes(0xFF, marker, (2 + body.length) >> 8, (2 + body.length) & 0xFF), body);
    }

    private static byte[] text(String ascii) {
        return ascii.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
