package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imagestream.testing.Bytes.concat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Which WebP files TwelveMonkeys decodes losslessly anywhere (and so at full size whatever the
 * subsampling), on chunk layouts written here from Google's WebP container specification: a simple
 * lossless file, an extended file whose alpha is compressed losslessly (method 1, libwebp's
 * default) or not, an animation whose frame is lossless, and a plain lossy file.
 */
class SocialFormatTest {
    @Test
    void shouldFindEveryLosslessPartOfAWebp() throws Exception {
        byte[] vp8 = chunk("VP8 ", new byte[10]);
        byte[] vp8l = chunk("VP8L", new byte[5]);
        byte[] vp8x = chunk("VP8X", new byte[10]);
        assertThat(SocialFormat.isLosslessWebp(riff(vp8))).isFalse();
        assertThat(SocialFormat.isLosslessWebp(riff(vp8l))).isTrue();
        assertThat(
                        SocialFormat.isLosslessWebp(
                                riff(vp8x, chunk("ALPH", new byte[] {1, 0, 0}), vp8)))
                .as("alpha compressed losslessly")
                .isTrue();
        assertThat(
                        SocialFormat.isLosslessWebp(
                                riff(vp8x, chunk("ALPH", new byte[] {0, 0, 0}), vp8)))
                .as("alpha stored raw")
                .isFalse();
        byte[] frame = concat(new byte[16], vp8l); // ANMF: 16 bytes of frame header, then the image
        assertThat(
                        SocialFormat.isLosslessWebp(
                                riff(vp8x, chunk("ANIM", new byte[6]), chunk("ANMF", frame))))
                .as("an animation frame in VP8L")
                .isTrue();
        assertThat(
                        SocialFormat.isLosslessWebp(
                                riff(vp8x, chunk("ANMF", concat(new byte[16], vp8)))))
                .isFalse();
    }

    private static byte[] riff(byte[]... chunks) {
        byte[] body = concat(chunks);
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(4 + body.length);
        header.put("WEBP".getBytes(StandardCharsets.US_ASCII));
        return concat(header.array(), body);
    }

    private static byte[] chunk(String fourcc, byte[] data) {
        ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        header.put(fourcc.getBytes(StandardCharsets.US_ASCII)).putInt(data.length);
        byte[] padding = new byte[data.length & 1];
        return concat(header.array(), data, padding);
    }
}
