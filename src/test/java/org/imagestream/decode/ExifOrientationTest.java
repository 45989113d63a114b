package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.imagestream.testing.PoisonPills;
import org.junit.jupiter.api.Test;

/**
 * EXIF orientation is read from the EXIF block alone, in every container that carries one: the JPEG
 * APP1 segment, the PNG {@code eXIf} chunk, the WebP {@code EXIF} chunk. The blocks are built here
 * from the EXIF/TIFF specification (IFD0 with tag 0x0112), not by the code under test.
 */
class ExifOrientationTest {
    @Test
    void shouldReadTheOrientationOfAJpegFromItsApp1Segment() throws Exception {
        byte[] jpeg = PoisonPills.jpegWithIccAndOrientation(16, 8, 8);
        assertThat(ExifOrientation.of(jpeg)).isEqualTo(8);
    }

    @Test
    void shouldReadThePngExifChunkWithoutInflatingTextChunks() throws Exception {
        // A text chunk before eXIf that would inflate to 64 MiB; the walk skips it by length.
        byte[] bomb = PoisonPills.pngTextBomb(64L * 1024 * 1024, false);
        int iend = bomb.length - 12;
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(bomb, 0, iend);
        PoisonPills.chunk(png, "eXIf", tiffWithOrientation(6, ByteOrder.LITTLE_ENDIAN));
        png.write(bomb, iend, 12);
        assertThat(ExifOrientation.of(png.toByteArray())).isEqualTo(6);
        assertThat(ExifOrientation.of(bomb)).isEqualTo(1);
    }

    @Test
    void shouldReadTheWebpExifChunk() {
        byte[] exif = tiffWithOrientation(3, ByteOrder.BIG_ENDIAN);
        byte[] image = new byte[10]; // a VP8L chunk's content is not read
        ByteBuffer webp =
                ByteBuffer.allocate(12 + 8 + image.length + 8 + exif.length + (exif.length & 1))
                        .order(ByteOrder.LITTLE_ENDIAN);
        webp.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(webp.capacity() - 8);
        webp.put("WEBP".getBytes(StandardCharsets.US_ASCII));
        webp.put("VP8L".getBytes(StandardCharsets.US_ASCII)).putInt(image.length).put(image);
        webp.put("EXIF".getBytes(StandardCharsets.US_ASCII)).putInt(exif.length).put(exif);
        assertThat(ExifOrientation.of(webp.array())).isEqualTo(3);
    }

    @Test
    void shouldTreatMissingOrBrokenExifAsUpright() {
        assertThat(ExifOrientation.of(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF})).isOne();
        assertThat(ExifOrientation.of(new byte[0])).isOne();
    }

    /** A TIFF header and IFD0 holding only Orientation (SHORT). */
    private static byte[] tiffWithOrientation(int orientation, ByteOrder order) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(order);
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        tiff.putShort((short) 42).putInt(8).putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        tiff.putShort((short) orientation).putShort((short) 0).putInt(0);
        return tiff.array();
    }
}
