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
     * A losslessly coded part of a WebP file: its bitstream in {@code [from, end)}, and the size of
     * the canvas or animation frame it belongs to (0 x 0 for the image of a simple file, whose
     * header alone gives it): TwelveMonkeys decodes a headerless part (lossless alpha), and a VP8L
     * image of an extended file, at that size.
     */
    record LosslessPart(int from, int end, int width, int height, boolean headerless) {}

    /**
     * The parts of a WebP file TwelveMonkeys may decode with its lossless decoder (which allocates
     * the full-size raster whatever the subsampling): {@code VP8L} images and {@code ALPH} chunks
     * compressed losslessly (compression method 1, libwebp's default for alpha; its stream has no
     * VP8L header and the canvas's size), at the top level and inside the first animation frame
     * ({@code ANMF}: a 16-byte frame header, then the frame's chunks), up to the end of the file
     * (whatever the RIFF's declared size). Later frames are not decoded (the job reads a file's
     * first image). Every such part is walked, so their number is bounded: a file whose top level
     * or first frame holds more than one image chunk ({@code VP8 }/{@code VP8L}) or more than one
     * alpha chunk is refused, as no encoder writes one.
     *
     * @throws DecodeException {@code CORRUPT} for a second image or alpha chunk in one place;
     *     {@code TRUNCATED} for a chunk header the end of the file cuts, within the RIFF's size or
     *     the first frame's
     */
    static List<LosslessPart> losslessWebpParts(byte[] b) throws DecodeException {
        List<LosslessPart> parts = new ArrayList<>();
        if (b.length < 12) {
            return parts;
        }
        long riffEnd =
                8
                        + ((b[4] & 0xFFL)
                                | (b[5] & 0xFFL) << 8
                                | (b[6] & 0xFFL) << 16
                                | (b[7] & 0xFFL) << 24);
        // To the end of the file, not the RIFF's declared size: TwelveMonkeys reads the first
        // chunk whatever that size says, and a chunk that starts before it to the chunk's end.
        long end = b.length;
        int[] canvas = {0, 0};
        long[] firstFrame = {-1, -1};
        anyWebpChunk(
                b,
                12,
                end,
                (fourcc, data, length) -> {
                    if (fourcc.equals("VP8X") && data + 10 <= b.length) {
                        canvas[0] = 1 + uint24(b, (int) data + 4);
                        canvas[1] = 1 + uint24(b, (int) data + 7);
                    } else if (fourcc.equals("ANMF") && firstFrame[0] < 0) {
                        firstFrame[0] = data;
                        firstFrame[1] = Math.min(end, data + length);
                    }
                    return false;
                });
        // A cut chunk header counts within the RIFF's size: TwelveMonkeys reads no chunk header
        // after it (bytes after a file's last chunk are not refused).
        addLosslessParts(b, 12, end, Math.min(end, riffEnd), canvas[0], canvas[1], parts);
        if (firstFrame[0] >= 0 && firstFrame[0] + 16 <= firstFrame[1]) {
            int at = (int) firstFrame[0];
            addLosslessParts(
                    b,
                    at + 16,
                    firstFrame[1],
                    firstFrame[1],
                    1 + uint24(b, at + 6),
                    1 + uint24(b, at + 9),
                    parts);
        }
        return parts;
    }

    /**
     * The lossless parts among the chunks of {@code b[from, end)}, one level deep.
     *
     * @param cutBefore a chunk header the end of the file cuts before this is {@code TRUNCATED}:
     *     TwelveMonkeys reads it, from the zero bytes a lossless part is given after the file, as a
     *     chunk the walks here never see
     */
    private static void addLosslessParts(
            byte[] b,
            long from,
            long end,
            long cutBefore,
            int width,
            int height,
            List<LosslessPart> parts)
            throws DecodeException {
        int[] images = {0};
        int[] alphas = {0};
        long next =
                walkWebpChunks(
                        b,
                        from,
                        end,
                        (fourcc, data, length) -> {
                            // A chunk is read to its own length, whatever its frame's says.
                            int dataEnd = (int) Math.min(b.length, data + length);
                            if (fourcc.equals("VP8L") || fourcc.equals("VP8 ")) {
                                images[0]++;
                                if (fourcc.equals("VP8L")) {
                                    parts.add(
                                            new LosslessPart(
                                                    (int) data, dataEnd, width, height, false));
                                }
                            } else if (fourcc.equals("ALPH")) {
                                alphas[0]++;
                                if (data < dataEnd && (b[(int) data] & 0x03) == 1) {
                                    parts.add(
                                            new LosslessPart(
                                                    (int) data + 1, dataEnd, width, height, true));
                                }
                            }
                            return false;
                        });
        if (next < cutBefore) {
            throw new DecodeException(
                    DecodeException.Reason.TRUNCATED,
                    "WebP file ends inside the header of a chunk at byte " + next);
        }
        if (images[0] > 1 || alphas[0] > 1) {
            throw new DecodeException(
                    DecodeException.Reason.CORRUPT,
                    "WebP image holds "
                            + images[0]
                            + " image and "
                            + alphas[0]
                            + " alpha chunks in one place, where an image has one of each");
        }
    }

    /**
     * Macroblocks TwelveMonkeys' lossy WebP decoder builds for the largest lossy ({@code VP8 })
     * frame of a file: every 16 x 16 macroblock of the frame and a border of one around it, each
     * with its 25 sub-blocks, before it reads any (whatever the subsampling), from the frame
     * header's own size, which need not match the canvas ({@code VP8X}) and is read wherever the
     * chunk's declared length ends. Frames at the top level and in every animation frame ({@code
     * ANMF}) count; 0 when the file has no lossy frame.
     *
     * @throws DecodeException {@code TRUNCATED} for a frame header cut by the end of the file
     *     (TwelveMonkeys would read its size from the zero bytes a lossless part is given after it)
     */
    static long lossyWebpMacroblocks(byte[] b) throws DecodeException {
        long[] cut = {-1};
        long[] most = {0};
        anyWebpChunk(
                b,
                12,
                b.length,
                (fourcc, data, length) -> {
                    if (fourcc.equals("VP8 ")) {
                        most[0] = Math.max(most[0], vp8Macroblocks(b, data, cut));
                    } else if (fourcc.equals("ANMF") && data + 16 <= b.length) {
                        anyWebpChunk(
                                b,
                                data + 16,
                                Math.min(b.length, data + length),
                                (frameChunk, frameData, frameLength) -> {
                                    if (frameChunk.equals("VP8 ")) {
                                        most[0] =
                                                Math.max(
                                                        most[0], vp8Macroblocks(b, frameData, cut));
                                    }
                                    return false;
                                });
                    }
                    return false;
                });
        if (cut[0] >= 0) {
            throw new DecodeException(
                    DecodeException.Reason.TRUNCATED,
                    "WebP file ends inside the header of its lossy frame at byte " + cut[0]);
        }
        return most[0];
    }

    /**
     * A VP8 key frame's macroblocks with the border of one TwelveMonkeys adds: after the 3-byte
     * frame tag and the 3-byte start code (which TwelveMonkeys does not check), 14-bit width and
     * height, little endian (RFC 6386 9.1). A header the file does not hold whole sets {@code
     * cut[0]} to where it starts.
     */
    private static long vp8Macroblocks(byte[] b, long data, long[] cut) {
        if (data + 10 > b.length) {
            cut[0] = data;
            return 0;
        }
        int at = (int) data;
        int width = ((b[at + 6] & 0xFF) | (b[at + 7] & 0xFF) << 8) & 0x3FFF;
        int height = ((b[at + 8] & 0xFF) | (b[at + 9] & 0xFF) << 8) & 0x3FFF;
        return ((width + 15L) / 16 + 2) * ((height + 15L) / 16 + 2);
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
     * Walks the RIFF chunks of a WebP file that start in {@code b[from, end)} (a chunk header:
     * FourCC, then a little-endian length; data padded to an even size) until {@code test} says
     * stop; true when it did. As TwelveMonkeys reads an animation frame's chunks: every chunk that
     * starts before the frame's end, whose header the file holds, even when the header or its data
     * run past that end.
     */
    static boolean anyWebpChunk(byte[] b, long from, long end, WebpChunkTest test) {
        return walkWebpChunks(b, from, end, test) < 0;
    }

    /** As {@link #anyWebpChunk}: -1 when {@code test} stopped, else where the next chunk starts. */
    private static long walkWebpChunks(byte[] b, long from, long end, WebpChunkTest test) {
        long at = from;
        while (at < end && at + 8 <= b.length) {
            int chunk = (int) at;
            String fourcc = new String(b, chunk, 4, StandardCharsets.ISO_8859_1);
            long length =
                    (b[chunk + 4] & 0xFFL)
                            | (b[chunk + 5] & 0xFFL) << 8
                            | (b[chunk + 6] & 0xFFL) << 16
                            | (b[chunk + 7] & 0xFFL) << 24;
            if (test.test(fourcc, at + 8, length)) {
                return -1;
            }
            at += 8 + length + (length & 1);
        }
        return at;
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
