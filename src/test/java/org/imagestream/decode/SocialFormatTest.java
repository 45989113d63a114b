package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imagestream.testing.Bytes.concat;
import static org.imagestream.testing.WebpFiles.chunk;
import static org.imagestream.testing.WebpFiles.riff;

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
        assertThat(isLossless(riff(vp8))).isFalse();
        assertThat(isLossless(riff(vp8l))).isTrue();
        assertThat(isLossless(riff(vp8x, chunk("ALPH", new byte[] {1, 0, 0}), vp8)))
                .as("alpha compressed losslessly")
                .isTrue();
        assertThat(isLossless(riff(vp8x, chunk("ALPH", new byte[] {0, 0, 0}), vp8)))
                .as("alpha stored raw")
                .isFalse();
        byte[] frame = concat(new byte[16], vp8l); // ANMF: 16 bytes of frame header, then the image
        assertThat(isLossless(riff(vp8x, chunk("ANIM", new byte[6]), chunk("ANMF", frame))))
                .as("an animation frame in VP8L")
                .isTrue();
        assertThat(isLossless(riff(vp8x, chunk("ANMF", concat(new byte[16], vp8))))).isFalse();
    }

    private static boolean isLossless(byte[] webp) throws DecodeException {
        return !SocialFormat.losslessWebpParts(webp).isEmpty();
    }
}
