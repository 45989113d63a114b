package org.imagestream.decode;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;

/**
 * The photo formats of the social domain, recognised by magic bytes, each with the reader that
 * decodes it best. TwelveMonkeys' readers are created directly (JPEG: CMYK/YCCK and ICC profiles,
 * which the JDK reader refuses; WebP, which the JDK lacks) because the ImageIO registry is global
 * to the JVM and does not see plugins loaded by Flink's user-code class loader; PNG, GIF and BMP
 * use the JDK's own readers.
 */
enum SocialFormat {
    JPEG,
    PNG,
    GIF,
    BMP,
    WEBP;

    static SocialFormat sniff(byte[] b) {
        if (starts(b, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (starts(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (starts(b, 'G', 'I', 'F', '8')) {
            return GIF;
        }
        if (starts(b, 'B', 'M')) {
            return BMP;
        }
        if (starts(b, 'R', 'I', 'F', 'F')
                && b.length >= 12
                && b[8] == 'W'
                && b[9] == 'E'
                && b[10] == 'B'
                && b[11] == 'P') {
            return WEBP;
        }
        return null;
    }

    /**
     * Whether TwelveMonkeys decodes any part of a WebP file with its lossless decoder, which
     * allocates the full-size raster whatever the subsampling.
     */
    static boolean isLosslessWebp(byte[] b) {
        return !losslessWebpParts(b).isEmpty();
    }

    /**
     * A losslessly coded part of a WebP file: its bitstream in {@code [from, end)}, and for a
     * headerless one (lossless alpha) the size of the image it belongs to.
     */
    record LosslessPart(int from, int end, int width, int height, boolean headerless) {}

    /**
     * The parts of a WebP file TwelveMonkeys decodes with its lossless decoder: a {@code VP8L}
     * image and an {@code ALPH} chunk compressed losslessly (compression method 1, libwebp's
     * default for alpha; its stream has no VP8L header and the canvas's size), at the top level or
     * inside the first animation frame ({@code ANMF}: a 16-byte frame header, then the frame's
     * chunks). Only the first image's: the chunks up to its first image data ({@code VP8L} or
     * {@code VP8 }) or its first frame, within the RIFF's declared size; the job decodes nothing
     * after them.
     */
    static List<LosslessPart> losslessWebpParts(byte[] b) {
        List<LosslessPart> parts = new ArrayList<>();
        if (b.length < 12) {
            return parts;
        }
        // Chunks after the RIFF's own end are not the file's.
        long riffEnd =
                Math.min(
                        b.length,
                        8
                                + ((b[4] & 0xFFL)
                                        | (b[5] & 0xFFL) << 8
                                        | (b[6] & 0xFFL) << 16
                                        | (b[7] & 0xFFL) << 24));
        int[] canvas = {0, 0};
        anyWebpChunk(
                b,
                12,
                riffEnd,
                (fourcc, data, length) -> {
                    if (fourcc.equals("VP8X") && data + 10 <= b.length) {
                        canvas[0] = 1 + uint24(b, (int) data + 4);
                        canvas[1] = 1 + uint24(b, (int) data + 7);
                    }
                    return false;
                });
        addLosslessParts(b, 12, riffEnd, canvas[0], canvas[1], true, parts);
        return parts;
    }

    private static void addLosslessParts(
            byte[] b,
            long from,
            long end,
            int width,
            int height,
            boolean topLevel,
            List<LosslessPart> parts) {
        anyWebpChunk(
                b,
                from,
                end,
                (fourcc, data, length) -> {
                    int dataEnd = (int) Math.min(end, data + length);
                    if (fourcc.equals("VP8L")) {
                        parts.add(new LosslessPart((int) data, dataEnd, 0, 0, false));
                        return true; // the image's data: a later one is not decoded
                    } else if (fourcc.equals("VP8 ")) {
                        return true;
                    } else if (fourcc.equals("ALPH")
                            && data < dataEnd
                            && (b[(int) data] & 0x03) == 1) {
                        parts.add(new LosslessPart((int) data + 1, dataEnd, width, height, true));
                    } else if (topLevel && fourcc.equals("ANMF")) {
                        if (data + 16 <= dataEnd) {
                            addLosslessParts(
                                    b,
                                    data + 16,
                                    dataEnd,
                                    1 + uint24(b, (int) data + 6),
                                    1 + uint24(b, (int) data + 9),
                                    false,
                                    parts);
                        }
                        return true; // the first frame only
                    }
                    return false;
                });
    }

    private static int uint24(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16;
    }

    /** What {@link #anyWebpChunk} asks of each chunk. */
    @FunctionalInterface
    interface WebpChunkTest {
        /**
         * @param data where the chunk's data starts
         * @param length the data length its header declares (it may run past the bytes)
         * @return true to stop at this chunk
         */
        boolean test(String fourcc, long data, long length);
    }

    /**
     * Walks the RIFF chunks of a WebP file in {@code b[from, end)} (a chunk header: FourCC, then a
     * little-endian length; data padded to an even size) until {@code test} says stop; true when it
     * did.
     */
    static boolean anyWebpChunk(byte[] b, long from, long end, WebpChunkTest test) {
        long at = from;
        while (at + 8 <= end) {
            int chunk = (int) at;
            String fourcc = new String(b, chunk, 4, StandardCharsets.ISO_8859_1);
            long length =
                    (b[chunk + 4] & 0xFFL)
                            | (b[chunk + 5] & 0xFFL) << 8
                            | (b[chunk + 6] & 0xFFL) << 16
                            | (b[chunk + 7] & 0xFFL) << 24;
            if (test.test(fourcc, at + 8, length)) {
                return true;
            }
            at += 8 + length + (length & 1);
        }
        return false;
    }

    /** Formats whose files carry EXIF orientation in practice. */
    boolean hasExif() {
        return this == JPEG || this == WEBP || this == PNG;
    }

    ImageReader newReader() throws IOException {
        ImageReaderSpi spi =
                switch (this) {
                    case JPEG -> Readers.JPEG;
                    case WEBP -> Readers.WEBP;
                    case PNG -> Readers.PNG;
                    case GIF -> Readers.GIF;
                    case BMP -> Readers.BMP;
                };
        return spi.createReaderInstance();
    }

    /**
     * The reader providers, looked up once per JVM. TwelveMonkeys' JPEG reader delegates baseline
     * decoding to the JDK's and finds it when it is registered: registering it with a private
     * registry that holds only the JDK's JPEG provider gives it that delegate without changing the
     * JVM-wide ImageIO registry.
     */
    private static final class Readers {
        static final ImageReaderSpi PNG = jdk("png");
        static final ImageReaderSpi GIF = jdk("gif");
        static final ImageReaderSpi BMP = jdk("bmp");
        static final ImageReaderSpi WEBP = new WebPImageReaderSpi();
        static final ImageReaderSpi JPEG = twelveMonkeysJpeg();

        private static JPEGImageReaderSpi twelveMonkeysJpeg() {
            ServiceRegistry registry =
                    new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
            registry.registerServiceProvider(jdk("jpeg"), ImageReaderSpi.class);
            JPEGImageReaderSpi spi = new JPEGImageReaderSpi();
            spi.onRegistration(registry, ImageReaderSpi.class);
            return spi;
        }

        /** The JDK's own provider: always present, never a plugin from another class loader. */
        private static ImageReaderSpi jdk(String format) {
            Iterator<ImageReaderSpi> providers =
                    IIORegistry.getDefaultInstance()
                            .getServiceProviders(ImageReaderSpi.class, true);
            while (providers.hasNext()) {
                ImageReaderSpi spi = providers.next();
                if (spi.getClass()
                        .getName()
                        .startsWith("com.sun.imageio.plugins." + format + ".")) {
                    return spi;
                }
            }
            throw new IllegalStateException("the JDK has no " + format + " reader");
        }
    }

    private static boolean starts(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
