package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.imagestream.testing.WebpFiles.chunk;
import static org.imagestream.testing.WebpFiles.riff;

import com.twelvemonkeys.imageio.plugins.webp.LSBBitReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.PoisonPills;
import org.imagestream.testing.ReferenceTools;
import org.imagestream.testing.WebpFiles.LsbBits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lossless WebP walk against libwebp: files its reference encoder (cwebp, Debian's webp
 * package, fetched by the build) wrote with every transform, colour caches and many prefix-code
 * groups are walked through every pixel's codes, and must end exactly at their last byte (any
 * mistake in the walk's codes, transforms, backward references or cache shifts where it ends); the
 * hand-built group bomb is a file dwebp decodes, which the walk refuses before TwelveMonkeys builds
 * its tables; and the heap the walk charges is measured against what TwelveMonkeys allocates.
 */
class LosslessWebpTest {
    private static final Path PHOTOS =
            ReferenceTools.ROOT.resolve("usr/lib/python3/dist-packages/skimage/data");

    @TempDir Path dir;

    @Test
    void shouldWalkEveryFileTheReferenceEncoderWritesToItsLastByte() throws Exception {
        Path palette = png("palette.png", paletteImage(301, 203, 12));
        Path translucent = png("translucent.png", translucentImage(257, 129));
        List<Path> files = new ArrayList<>();
        files.add(
                cwebp(
                        PHOTOS.resolve("astronaut.png"),
                        "astronaut-z9.webp",
                        "-lossless",
                        "-z",
                        "9"));
        files.add(
                cwebp(
                        PHOTOS.resolve("astronaut.png"),
                        "astronaut-z0.webp",
                        "-lossless",
                        "-z",
                        "0"));
        files.add(cwebp(PHOTOS.resolve("coffee.png"), "coffee-near.webp", "-near_lossless", "40"));
        files.add(
                cwebp(
                        PHOTOS.resolve("chelsea.png"),
                        "chelsea-m6.webp",
                        "-lossless",
                        "-m",
                        "6",
                        "-q",
                        "100"));
        files.add(cwebp(palette, "palette.webp", "-lossless", "-z", "6"));
        files.add(cwebp(translucent, "translucent.webp", "-lossless", "-exact"));
        // Lossy colour with losslessly compressed alpha: an ALPH chunk without a VP8L header.
        files.add(
                cwebp(
                        translucent,
                        "alpha.webp",
                        "-q",
                        "75",
                        "-alpha_method",
                        "1",
                        "-alpha_q",
                        "100"));

        int mostGroups = 0;
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            List<SocialFormat.LosslessPart> parts = SocialFormat.losslessWebpParts(bytes);
            List<LosslessWebp.Walk> walks =
                    LosslessWebp.walkWhole(bytes, Long.MAX_VALUE, file.getFileName().toString());
            assertThat(walks).as(file.toString()).hasSize(1).hasSameSizeAs(parts);
            LosslessWebp.Walk walk = walks.get(0);
            SocialFormat.LosslessPart part = parts.get(0);
            assertThat((walk.bitsRead() + 7) / 8)
                    .as("%s: bytes the walk read of its %s part", file, part)
                    .isEqualTo(part.end() - part.from());
            assertThat(
                            heapBytes(
                                    bytes,
                                    Long.MAX_VALUE,
                                    DecodeLimits.DEFAULT.maxDecodeMemory(),
                                    "x"))
                    .isEqualTo(walk.heapBytes())
                    .isLessThan(DecodeLimits.DEFAULT.maxDecodeMemory() / 4);
            mostGroups = Math.max(mostGroups, walk.groups());
        }
        assertThat(parts(files.get(files.size() - 1)).get(0).headerless()).isTrue();
        // The meta prefix codes were walked: the encoder split a photo into several groups (17
        // when written).
        assertThat(mostGroups).isGreaterThan(8);
    }

    @Test
    void shouldRefuseAStreamCutInsideItsPixelsThatTwelveMonkeysWouldMakeUp() throws Exception {
        byte[] whole =
                Files.readAllBytes(
                        cwebp(
                                PHOTOS.resolve("chelsea.png"),
                                "chelsea.webp",
                                "-lossless",
                                "-z",
                                "6"));
        // The VP8L chunk cut to 60 % of its data, with the RIFF and chunk sizes made to agree, so
        // only the bitstream itself tells that pixels are missing.
        int data = whole.length - 20;
        int kept = data * 6 / 10;
        byte[] cut = java.util.Arrays.copyOf(whole, 20 + kept + (kept & 1));
        java.nio.ByteBuffer sizes =
                java.nio.ByteBuffer.wrap(cut).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        sizes.putInt(4, 12 + kept + (kept & 1));
        sizes.putInt(16, kept);
        assertThat(Truncation.missing(cut)).isEmpty();

        // What the walk prevents: TwelveMonkeys alone returns a whole image from it, its last row
        // made up (the missing codes read as zeros) instead of the photo's.
        BufferedImage fromCut = decodeWithTwelveMonkeys(cut);
        BufferedImage fromWhole = decodeWithTwelveMonkeys(whole);
        int last = fromWhole.getHeight() - 1;
        int width = fromWhole.getWidth();
        assertThat(fromCut.getRGB(0, last, width, 1, null, 0, width))
                .isNotEqualTo(fromWhole.getRGB(0, last, width, 1, null, 0, width));

        assertThatThrownBy(
                        () ->
                                ImageDecoders.decode(
                                        org.imagestream.model.Domain.SOCIAL,
                                        cut,
                                        new ModelInput(32, 32, 3)))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TRUNCATED));
    }

    /**
     * The walk's time is bounded by the image's pixels: a part declaring more pixels than the image
     * is CORRUPT, and of an animation only the first frame (the one the job decodes) is walked, so
     * a later frame of 16384 x 16384 zero-bit pixels costs nothing.
     */
    @Test
    void shouldWalkOnlyTheFirstFrameAndNoPartLargerThanTheImage() throws Exception {
        byte[] small = vp8lChunkData(PoisonPills.blackLosslessWebp(16));
        byte[] huge = vp8lChunkData(PoisonPills.blackLosslessWebp(16384));
        byte[] animation =
                riff(
                        chunk("VP8X", vp8x(16, 16)),
                        chunk("ANIM", new byte[6]),
                        chunk("ANMF", frame(16, 16, chunk("VP8L", small))),
                        chunk("ANMF", frame(16384, 16384, chunk("VP8L", huge))));
        List<SocialFormat.LosslessPart> parts = SocialFormat.losslessWebpParts(animation);
        assertThat(parts).hasSize(1);
        // What the first frame alone costs: the huge frame was not walked (nor refused).
        assertThat(heapBytes(animation, 16 * 16, 64 << 20, "x"))
                .isEqualTo(heapBytes(PoisonPills.blackLosslessWebp(16), 16 * 16, 64 << 20, "x"));

        // The RIFF's declared size does not hide a chunk from the walk: TwelveMonkeys reads the
        // first chunk whatever it says (here 4: nothing but "WEBP").
        byte[] shrunk = PoisonPills.huffmanGroupWebp(1024);
        java.nio.ByteBuffer.wrap(shrunk).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, 4);
        assertThat(SocialFormat.losslessWebpParts(shrunk)).hasSize(1);
        assertThatThrownBy(() -> heapBytes(shrunk, 1024 * 1024, 64 << 20, "x"))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TOO_LARGE));
        // A second image or alpha chunk in one place (which TwelveMonkeys may read in an extended
        // file), also after the RIFF's declared end, is refused, so the walk never has more than
        // one of each per place to walk.
        List<byte[]> twice =
                List.of(
                        riff(chunk("VP8L", small), chunk("VP8L", huge), chunk("VP8L", huge)),
                        Bytes.concat(riff(chunk("VP8L", small)), chunk("VP8L", huge)),
                        // a lossless image after a lossy one in an extended file
                        riff(
                                chunk("VP8X", vp8x(16, 16)),
                                chunk("VP8 ", new byte[10]),
                                chunk("VP8L", huge)),
                        // two images in the first frame
                        riff(
                                chunk("VP8X", vp8x(16, 16)),
                                chunk(
                                        "ANMF",
                                        frame(
                                                16,
                                                16,
                                                Bytes.concat(
                                                        chunk("VP8L", small),
                                                        chunk("VP8L", huge))))));
        for (byte[] file : twice) {
            assertThatThrownBy(() -> SocialFormat.losslessWebpParts(file))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT));
        }
        // An image chunk at the top level of an animation does not hide its first frame's.
        byte[] decoy =
                riff(
                        chunk("VP8X", vp8x(16, 16)),
                        chunk("VP8L", small),
                        chunk("ANMF", frame(16, 16, chunk("VP8L", small))));
        assertThat(SocialFormat.losslessWebpParts(decoy)).hasSize(2);

        byte[] still = PoisonPills.blackLosslessWebp(64);
        assertThatThrownBy(() -> heapBytes(still, 32 * 32, 64 << 20, "x"))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT));
    }

    private static byte[] vp8lChunkData(byte[] riff) {
        int length =
                java.nio.ByteBuffer.wrap(riff, 16, 4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getInt();
        return java.util.Arrays.copyOfRange(riff, 20, 20 + length);
    }

    private static byte[] vp8x(int width, int height) {
        java.nio.ByteBuffer data =
                java.nio.ByteBuffer.allocate(10).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.put((byte) 0x02); // animation
        data.position(4);
        putUint24(data, width - 1);
        putUint24(data, height - 1);
        return data.array();
    }

    private static byte[] frame(int width, int height, byte[] chunks) {
        java.nio.ByteBuffer data =
                java.nio.ByteBuffer.allocate(16 + chunks.length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.position(6);
        putUint24(data, width - 1);
        putUint24(data, height - 1);
        data.position(16);
        data.put(chunks);
        return data.array();
    }

    private static void putUint24(java.nio.ByteBuffer data, int value) {
        data.put((byte) value).put((byte) (value >> 8)).put((byte) (value >> 16));
    }

    /**
     * A green code given by a one-symbol code-length code (every length 8, read from zero bits):
     * libwebp (dwebp) decodes the file, TwelveMonkeys reads a bit per length and loses its place in
     * the stream, so the walk could not vouch for what TwelveMonkeys would build; the file is
     * refused, as is a two-symbol simple code listed out of order (libwebp and TwelveMonkeys give
     * code 0 to different symbols).
     */
    @Test
    void shouldRefuseALosslessImageWhoseSizeIsNotItsCanvasAsLibwebpDoes() throws Exception {
        // TwelveMonkeys decodes an extended file's VP8L image at the canvas's size, whatever its
        // own header says: the walk would read other codes than the decoder. libwebp (dwebp)
        // refuses such a file, and decodes it when the canvas matches.
        Path simple =
                cwebp(png("canvas.png", paletteImage(64, 32, 12)), "canvas.webp", "-lossless");
        byte[] bytes = Files.readAllBytes(simple);
        byte[] vp8l = java.util.Arrays.copyOfRange(bytes, 12, bytes.length);
        for (int canvas : new int[] {64, 128}) {
            byte[] vp8x = new byte[10];
            vp8x[4] = (byte) (canvas - 1);
            vp8x[7] = 31;
            byte[] extended = riff(chunk("VP8X", vp8x), vp8l);
            Path file = Files.write(dir.resolve("canvas-" + canvas + ".webp"), extended);
            int dwebp =
                    ReferenceTools.run(
                                    List.of(
                                            ReferenceTools.bin("dwebp"),
                                            file.toString(),
                                            "-o",
                                            dir.resolve("canvas-" + canvas + ".png").toString()))
                            .exitCode();
            if (canvas == 64) {
                assertThat(dwebp).as("dwebp decodes the matching canvas").isZero();
                assertThat(LosslessWebp.walkWhole(extended, Long.MAX_VALUE, "match")).hasSize(1);
            } else {
                assertThat(dwebp).as("dwebp refuses a canvas of another size").isNotZero();
                assertThatThrownBy(() -> LosslessWebp.walkWhole(extended, Long.MAX_VALUE, "other"))
                        .isInstanceOfSatisfying(
                                DecodeException.class,
                                e ->
                                        assertThat(e.reason())
                                                .isEqualTo(DecodeException.Reason.CORRUPT));
            }
        }
    }

    @Test
    void shouldRefuseCodesTwelveMonkeysReadsDifferentlyFromLibwebp() throws Exception {
        LsbBits green = new LsbBits();
        green.write(0, 1); // normal code
        green.write(
                12 - 4, 4); // code-length code lengths for 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8
        for (int i = 0; i < 12; i++) {
            green.write(i == 11 ? 1 : 0, 3);
        }
        green.write(1, 1); // max_symbol follows
        green.write(3, 3); // in 8 bits
        green.write(254, 8); // 256 lengths
        byte[] oneSymbolLengths = still(16, green, true);
        Path file = Files.write(dir.resolve("one-symbol-lengths.webp"), oneSymbolLengths);
        Path png = dir.resolve("one-symbol-lengths.png");
        assertThat(
                        ReferenceTools.run(
                                        List.of(
                                                ReferenceTools.bin("dwebp"),
                                                file.toString(),
                                                "-o",
                                                png.toString()))
                                .exitCode())
                .isZero();
        BufferedImage libwebp = ImageIO.read(png.toFile());
        boolean twelveMonkeysAgrees;
        try {
            BufferedImage twelveMonkeys = decodeWithTwelveMonkeys(oneSymbolLengths);
            twelveMonkeysAgrees =
                    java.util.Arrays.equals(
                            libwebp.getRGB(0, 0, 16, 16, null, 0, 16),
                            twelveMonkeys.getRGB(0, 0, 16, 16, null, 0, 16));
        } catch (IOException e) {
            twelveMonkeysAgrees = false;
        }
        assertThat(twelveMonkeysAgrees).as("TwelveMonkeys decodes it as libwebp does").isFalse();

        LsbBits outOfOrder = new LsbBits();
        outOfOrder.write(1, 1); // simple
        outOfOrder.write(1, 1); // two symbols
        outOfOrder.write(1, 1); // the first in 8 bits
        outOfOrder.write(200, 8);
        outOfOrder.write(100, 8);
        byte[] swapped = still(16, outOfOrder, false);
        for (byte[] bytes : List.of(oneSymbolLengths, swapped)) {
            assertThatThrownBy(() -> heapBytes(bytes, 256, 64 << 20, "x"))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e ->
                                    assertThat(e.reason())
                                            .isEqualTo(DecodeException.Reason.UNSUPPORTED_FORMAT));
        }
    }

    /**
     * A {@code side x side} VP8L of one group: the given green code; with {@code eightBit} a red
     * code of every value in 8 bits (its code-length code of two symbols, as libwebp and
     * TwelveMonkeys read alike) and each pixel's green and red (ramps) coded in 8 bits; one-symbol
     * codes otherwise.
     */
    private static byte[] still(int side, LsbBits greenCode, boolean eightBit) {
        LsbBits bits = new LsbBits();
        bits.write(0x2f, 8);
        bits.write(side - 1, 14);
        bits.write(side - 1, 14);
        bits.write(0, 1 + 3 + 1 + 1 + 1); // no alpha, version 0, no transform, cache, meta
        bits.append(greenCode);
        if (eightBit) {
            bits.write(0, 1); // normal code
            bits.write(12 - 4, 4);
            for (int i = 0; i < 12; i++) {
                bits.write(i == 2 || i == 11 ? 1 : 0, 3); // symbols 0 and 8, one bit each
            }
            bits.write(0, 1); // all 256 lengths
            for (int symbol = 0; symbol < 256; symbol++) {
                bits.write(1, 1); // length 8: the code-length code's second code
            }
        } else {
            bits.write(0b0001, 4); // simple, one symbol, 1 bit, symbol 0
        }
        for (int code = 0; code < 3; code++) {
            bits.write(0b0001, 4);
        }
        if (eightBit) {
            for (int pixel = 0; pixel < side * side; pixel++) {
                // A canonical 8-bit code is its value, top bit first.
                for (int value : new int[] {(pixel * 37) & 0xFF, (pixel * 11) & 0xFF}) {
                    for (int bit = 7; bit >= 0; bit--) {
                        bits.write(value >> bit, 1);
                    }
                }
            }
        }
        return riff(chunk("VP8L", bits.toByteArray()));
    }

    @Test
    void shouldRefuseTheGroupBombLibwebpDecodesBeforeAnyTableIsBuilt() throws Exception {
        byte[] small = PoisonPills.huffmanGroupWebp(64);
        byte[] bomb = PoisonPills.huffmanGroupWebp(1024);
        for (Map.Entry<String, byte[]> file :
                Map.of("small.webp", small, "bomb.webp", bomb).entrySet()) {
            Path path = Files.write(dir.resolve(file.getKey()), file.getValue());
            assertThat(
                            ReferenceTools.run(
                                            List.of(
                                                    ReferenceTools.bin("dwebp"),
                                                    path.toString(),
                                                    "-o",
                                                    dir.resolve(file.getKey() + ".png").toString()))
                                    .exitCode())
                    .as("dwebp decodes %s", file.getKey())
                    .isZero();
        }
        LosslessWebp.Walk walk = LosslessWebp.walkWhole(small, Long.MAX_VALUE, "small").get(0);
        assertThat(walk.groups()).isEqualTo(16 * 16);
        assertThat((walk.bitsRead() + 7) / 8).isEqualTo(small.length - 20);

        long started = System.nanoTime();
        assertThatThrownBy(
                        () ->
                                heapBytes(
                                        bomb,
                                        Long.MAX_VALUE,
                                        DecodeLimits.DEFAULT.maxDecodeMemory(),
                                        "bomb"))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> {
                            assertThat(e.reason()).isEqualTo(DecodeException.Reason.TOO_LARGE);
                            assertThat(e.getMessage()).contains("65536 prefix-code groups");
                        });
        System.out.printf(
                "bomb refused after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @Test
    void shouldChargeWhatTwelveMonkeysTablesHoldOnTheHeap() throws Exception {
        // TwelveMonkeys' own group class, built from a bitstream of one-symbol codes (4 bits each,
        // "1000" least significant bit first: 0x11 per byte), held, and weighed by the heap the
        // collector finds in use (its decode leaves garbage per pixel, so a whole decode's
        // allocation says nothing about what stays).
        int groups = 20_000;
        byte[] codes = new byte[groups * 5 / 2 + 1];
        java.util.Arrays.fill(codes, (byte) 0x11);
        Class<?> groupClass =
                Class.forName("com.twelvemonkeys.imageio.plugins.webp.lossless.HuffmanCodeGroup");
        var make = groupClass.getDeclaredConstructor(LSBBitReader.class, int.class);
        make.setAccessible(true);
        LSBBitReader reader =
                new LSBBitReader(ImageIO.createImageInputStream(new ByteArrayInputStream(codes)));
        Object[] held = new Object[groups];
        long before = heapInUse();
        for (int i = 0; i < groups; i++) {
            held[i] = make.newInstance(reader, 0);
        }
        double perGroup = (heapInUse() - before) / (double) groups;
        java.lang.ref.Reference.reachabilityFence(held);
        System.out.printf(
                "TwelveMonkeys holds %.0f bytes per group of one-symbol codes%n", perGroup);
        assertThat((double) LosslessWebp.GROUP_BYTES).isBetween(0.8 * perGroup, 1.25 * perGroup);
    }

    private static long heapInUse() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            least = Math.min(least, runtime.totalMemory() - runtime.freeMemory());
        }
        return least;
    }

    /** TwelveMonkeys' reader alone, given the same zero padding as the decode path. */
    private static BufferedImage decodeWithTwelveMonkeys(byte[] file) throws IOException {
        ImageReader reader = SocialFormat.WEBP.newReader();
        try (ImageInputStream stream =
                ImageIO.createImageInputStream(
                        new java.io.SequenceInputStream(
                                new ByteArrayInputStream(file),
                                new ByteArrayInputStream(new byte[16])))) {
            reader.setInput(stream);
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    /** The decode path's walk of a file's lossless parts. */
    private static long heapBytes(byte[] file, long imagePixels, long budget, String what)
            throws DecodeException {
        return LosslessWebp.heapBytes(
                file, SocialFormat.losslessWebpParts(file), imagePixels, budget, what);
    }

    private static List<SocialFormat.LosslessPart> parts(Path file) throws Exception {
        return SocialFormat.losslessWebpParts(Files.readAllBytes(file));
    }

    private Path png(String name, BufferedImage image) throws IOException {
        Path path = dir.resolve(name);
        ImageIO.write(image, "png", path.toFile());
        return path;
    }

    /** Few colours: the encoder codes them through a colour-indexing transform. */
    private static BufferedImage paletteImage(int width, int height, int colours) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int c = ((x / 7) * 31 + (y / 5) * 17 + (x * y) % 5) % colours;
                image.setRGB(x, y, c * 0x151515 + 0x0a1f33);
            }
        }
        return image;
    }

    private static BufferedImage translucentImage(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        java.util.Random random = new java.util.Random(7);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int alpha = (x * 255 / width) ^ (random.nextInt(4));
                image.setRGB(x, y, alpha << 24 | (y * 2) << 16 | (x ^ y) << 8 | random.nextInt(32));
            }
        }
        return image;
    }

    private Path cwebp(Path input, String name, String... options) throws Exception {
        Path output = dir.resolve(name);
        List<String> command = new ArrayList<>();
        command.add(ReferenceTools.bin("cwebp"));
        command.add("-quiet");
        command.addAll(List.of(options));
        command.add(input.toString());
        command.add("-o");
        command.add(output.toString());
        ReferenceTools.Run run = ReferenceTools.run(command);
        assertThat(run.exitCode()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return output;
    }
}
