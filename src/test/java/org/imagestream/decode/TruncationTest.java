package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files written by reference tools (Pillow 9.4 on libjpeg-turbo, libpng, giflib and libwebp; GDAL
 * 3.6.2 for the GeoTIFFs, see the resource folders' regenerate scripts), cut at 10, 50 and 90 % of
 * their bytes and every few bytes of their headers: each is refused as {@code TRUNCATED} before any
 * decoder runs, while the whole file, and the whole file followed by 100 bytes of trailing garbage
 * (common in real uploads), still decode.
 */
class TruncationTest {
    private static final ModelInput RGB = new ModelInput(32, 32, 3);

    static List<String> files() {
        return List.of(
                "/images/baseline.jpg",
                "/images/progressive.jpg",
                "/images/cmyk.jpg",
                "/images/orientation-6.jpg",
                "/images/rgb8.png",
                "/images/palette.png",
                "/images/alpha.png",
                "/images/gray16.png",
                "/images/first-frame.gif",
                "/images/lossless.webp",
                "/images/lossy.webp",
                "/geotiff/s2-13band-uint16-tiled-lzw.tif",
                "/geotiff/rgbn-4band-uint16-striped-deflate-planar.tif",
                "/geotiff/reflectance-3band-float32-striped.tif",
                "/geotiff/dem-1band-int16-tiled-deflate.tif",
                "/geotiff/rgb-3band-byte-striped-lzw.tif",
                "/geotiff/bigtiff-13band-uint16-tiled-lzw.tif",
                "/geotiff/bigtiff-4band-uint16-striped-deflate-planar.tif",
                "/geotiff/bigtiff-3band-float32-striped.tif",
                "/geotiff/cog-4band-uint16-deflate.tif",
                "/geotiff/cog-bigtiff-3band-byte.tif");
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldRefuseEveryCutAndAcceptTheWholeFile(String file) throws IOException {
        byte[] whole = resource(file);
        Domain domain = file.endsWith(".tif") ? Domain.REMOTE_SENSING : Domain.SOCIAL;
        ModelInput input = input(file);
        for (double share : new double[] {0.1, 0.5, 0.9}) {
            byte[] cut = Arrays.copyOf(whole, (int) (whole.length * share));
            assertRefusedAsTruncated(
                    domain, cut, input, String.format("%s cut at %.0f %%", file, share * 100));
        }
        // Cut inside the structure the truncation check reads (a TIFF's header, first directory
        // and the tables it points at, a JPEG's marker segments up to its first scan; all in the
        // first kilobyte of these files), for other formats from just after their signature (a
        // WebP's 12 bytes; a shorter one is not recognised at all): refused as TRUNCATED, never
        // as malformed.
        for (int length = file.endsWith(".tif") ? 4 : 16;
                length < Math.min(whole.length, 1024);
                length += file.endsWith(".tif") && length < 16 ? 1 : 5) {
            assertRefusedAsTruncated(
                    domain, Arrays.copyOf(whole, length), input, file + " cut at byte " + length);
        }
        assertThatCode(() -> ImageDecoders.decode(domain, whole, input))
                .as(file)
                .doesNotThrowAnyException();
        byte[] trailing = Arrays.copyOf(whole, whole.length + 100);
        byte[] garbage = new byte[100];
        new Random(file.hashCode()).nextBytes(garbage);
        System.arraycopy(garbage, 0, trailing, whole.length, 100);
        assertThat(Truncation.missing(trailing)).as(file + " + trailing bytes").isEmpty();
    }

    private static void assertRefusedAsTruncated(
            Domain domain, byte[] cut, ModelInput input, String what) {
        DecodeException refused =
                catchThrowableOfType(
                        DecodeException.class, () -> ImageDecoders.decode(domain, cut, input));
        assertThat(refused).as(what).isNotNull();
        assertThat(refused.reason())
                .as("%s: %s", what, refused.getMessage())
                .isEqualTo(Reason.TRUNCATED);
    }

    /** Some encoders omit a GIF's trailer: every block is whole, so nothing is missing. */
    @org.junit.jupiter.api.Test
    void shouldAcceptAGifWithoutItsTrailer() throws IOException {
        byte[] gif = resource("/images/first-frame.gif");
        assertThat(gif[gif.length - 1]).isEqualTo((byte) 0x3B);
        byte[] withoutTrailer = Arrays.copyOf(gif, gif.length - 1);
        assertThat(Truncation.missing(withoutTrailer)).isEmpty();
        assertThatCode(() -> ImageDecoders.decode(Domain.SOCIAL, withoutTrailer, RGB))
                .doesNotThrowAnyException();
    }

    /** The GeoTIFFs' band counts, from their README. */
    private static ModelInput input(String file) {
        if (file.contains("13band")) {
            return new ModelInput(32, 32, 13);
        } else if (file.contains("4band")) {
            return new ModelInput(32, 32, 4);
        } else if (file.contains("3band")) {
            return new ModelInput(32, 32, 3);
        } else if (file.contains("1band")) {
            return new ModelInput(32, 32, 1);
        }
        return RGB;
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = TruncationTest.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }
}
