package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.stream.ImageInputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.testing.PoisonPills;
import org.imagestream.testing.ReferenceTools;
import org.imagestream.testing.WebpFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TwelveMonkeys' lossy WebP decoder builds every macroblock of a frame before it reads one,
 * whatever the subsampling: the macroblocks are charged to the decode budget from the frame
 * header's size. Checked on files libwebp's tools wrote (cwebp, img2webp: a simple file, an
 * extended file with alpha, an animation), whose sizes are the ones given to the encoder, and
 * against the heap TwelveMonkeys really holds while it decodes one.
 */
class LossyWebpMemoryTest {
    @TempDir Path dir;

    @Test
    void shouldCountTheMacroblocksOfTheFramesLibwebpWrote() throws Exception {
        // 16 x 16 macroblocks (RFC 6386), and the border of one TwelveMonkeys keeps around them.
        Path simple = cwebp(png("simple.png", 100, 50, false), "simple.webp");
        assertThat(SocialFormat.lossyWebpMacroblocks(Files.readAllBytes(simple)))
                .isEqualTo((7 + 2) * (4 + 2));
        Path alpha = cwebp(png("alpha.png", 33, 17, true), "alpha.webp");
        byte[] extended = Files.readAllBytes(alpha);
        assertThat(new String(extended, 12, 4, "ISO-8859-1")).isEqualTo("VP8X");
        assertThat(SocialFormat.lossyWebpMacroblocks(extended)).isEqualTo((3 + 2) * (2 + 2));
        Path animation = img2webp("animation.webp", 40, 30);
        assertThat(SocialFormat.lossyWebpMacroblocks(Files.readAllBytes(animation)))
                .isEqualTo((3 + 2) * (2 + 2));
        assertThat(SocialFormat.lossyWebpMacroblocks(PoisonPills.blackLosslessWebp(64)))
                .as("lossless: no macroblocks")
                .isZero();
    }

    @Test
    void shouldChargeWhatTwelveMonkeysHoldsPerMacroblockWhileItDecodes() throws Exception {
        byte[] webp = Files.readAllBytes(cwebp(png("photo.png", 1024, 768, false), "photo.webp"));
        long macroblocks = (64 + 2) * (48 + 2); // 1024 / 16 and 768 / 16, and the border
        // The most of three decodes: garbage or soft references an earlier test left can be
        // counted in the heap before a decode and collected during it, which only lowers one
        // reading.
        double perMacroblock = 0;
        for (int decode = 0; decode < 3; decode++) {
            perMacroblock = Math.max(perMacroblock, heapPerMacroblock(webp, macroblocks));
        }
        System.out.printf(
                "TwelveMonkeys holds %.0f bytes per macroblock while it decodes%n", perMacroblock);
        assertThat((double) DecodeMemory.VP8_MACROBLOCK)
                .isBetween(perMacroblock, 1.3 * perMacroblock);
    }

    @Test
    void shouldRefuseAFrameWhoseMacroblocksDoNotFitTheBudgetBeforeBuildingThem() throws Exception {
        // 8000 x 7000: within the 64 MP pixel limit, 1.36 GB of macroblocks charged.
        assertThatThrownBy(() -> decode(PoisonPills.lossyWebpFrameSize(8000, 7000)))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> {
                            assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
                            assertThat(e.getMessage()).contains("limits.max-decode-memory");
                        });
        // An extended file whose canvas says 64 x 32 and whose frame says 16000 x 16000: the
        // frame's own size is what TwelveMonkeys builds.
        byte[] small = PoisonPills.lossyWebpFrameSize(16000, 16000);
        byte[] vp8x = new byte[10];
        vp8x[4] = 63; // canvas width - 1, 24 bits
        vp8x[7] = 31; // canvas height - 1
        byte[] frame = java.util.Arrays.copyOfRange(small, 12, small.length);
        byte[] extended = WebpFiles.riff(WebpFiles.chunk("VP8X", vp8x), frame);
        assertThat(SocialFormat.lossyWebpMacroblocks(extended)).isEqualTo((1000L + 2) * (1000 + 2));
        assertRefused(() -> decode(extended), Reason.TOO_LARGE);
    }

    @Test
    void shouldCountAFrameChunkThatRunsPastItsAnimationFrame() throws Exception {
        // TwelveMonkeys reads every chunk that starts before the frame's end, to the chunk's own
        // length: an ANMF of declared length 21 (its 16-byte header and 5 bytes) still has its
        // VP8 chunk, declaring 16000 x 16000, decoded. The top-level walk goes on at the ANMF's
        // declared end (byte 22 of its data), inside the VP8 chunk: the frame tag's last byte
        // and the start code, which no decoder checks, are written so that the chunk it finds
        // there runs exactly to the end of the file, so every size in the file adds up.
        byte[] frameData = new byte[110];
        frameData[0] = 0x00; // key frame
        int rest = frameData.length - 6; // what follows the top-level walk's chunk header
        frameData[2] = (byte) rest;
        frameData[3] = (byte) (rest >> 8);
        frameData[6] = (byte) (16000 & 0xFF); // width, 14 bits
        frameData[7] = (byte) (16000 >> 8);
        frameData[8] = (byte) (16000 & 0xFF); // height
        frameData[9] = (byte) (16000 >> 8);
        byte[] vp8x = new byte[10];
        vp8x[0] = 0x02; // animation
        vp8x[4] = 63;
        vp8x[7] = 31;
        byte[] anmfHeader = {'A', 'N', 'M', 'F', 21, 0, 0, 0};
        byte[] frameHeader = new byte[16];
        frameHeader[6] = 63; // frame width - 1
        frameHeader[9] = 31; // frame height - 1
        byte[] file =
                WebpFiles.riff(
                        WebpFiles.chunk("VP8X", vp8x),
                        WebpFiles.chunk("ANIM", new byte[6]),
                        org.imagestream.testing.Bytes.concat(
                                anmfHeader, frameHeader, WebpFiles.chunk("VP8 ", frameData)));
        assertThat(SocialFormat.lossyWebpMacroblocks(file)).isEqualTo((1000L + 2) * (1000 + 2));
        assertRefused(() -> decode(file), Reason.TOO_LARGE);
    }

    @Test
    void shouldRefuseAChunkHeaderCutByTheEndOfTheFileWithinTheRiffSize() throws Exception {
        byte[] photo = Files.readAllBytes(cwebp(png("cut.png", 64, 48, false), "cut.webp"));
        // Five bytes of a next chunk's header, counted in the RIFF's size: cut.
        byte[] cut = java.util.Arrays.copyOf(photo, photo.length + 5);
        System.arraycopy("VP8L".getBytes("ISO-8859-1"), 0, cut, photo.length, 4);
        int riffSize = cut.length - 8;
        cut[4] = (byte) riffSize;
        cut[5] = (byte) (riffSize >> 8);
        assertRefused(() -> decode(cut), Reason.TRUNCATED);
        // The same bytes after the RIFF's size, which no reader looks at: decoded.
        byte[] trailing = java.util.Arrays.copyOf(photo, photo.length + 5);
        assertThat(decode(trailing).originalWidth()).isEqualTo(64);
    }

    private static void assertRefused(ThrowingCallable decoding, Reason reason) {
        assertThatThrownBy(decoding)
                .isInstanceOfSatisfying(
                        DecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private static DecodedPixels decode(byte[] webp) throws Exception {
        return ImageDecoders.decode(
                Domain.SOCIAL, webp, new ModelInput(224, 224, 3), DecodeLimits.DEFAULT, null);
    }

    @Test
    void shouldRefuseALossyFrameHeaderCutByTheEndOfTheFile() throws Exception {
        // Alpha compressed losslessly makes TwelveMonkeys read the file followed by zero bytes; a
        // VP8 chunk of 9 bytes at the end would take its height's high byte from them.
        byte[] vp8x = new byte[10];
        vp8x[0] = 0x10; // alpha
        byte[] frame = {0x10, 0x02, 0x00, (byte) 0x9D, 0x01, 0x2A, (byte) 0xFF, 0x3F, (byte) 0xFF};
        byte[] file =
                WebpFiles.riff(
                        WebpFiles.chunk("VP8X", vp8x),
                        WebpFiles.chunk("ALPH", new byte[] {1, 0x2F, 0, 0, 0, 0}),
                        java.util.Arrays.copyOf(WebpFiles.chunk("VP8 ", frame), 8 + frame.length));
        assertRefused(() -> SocialFormat.lossyWebpMacroblocks(file), Reason.TRUNCATED);
        assertRefused(() -> decode(file), Reason.TRUNCATED);
    }

    @Test
    void shouldDecodeTheAnimationAndTheFileWithAlphaLibwebpWrote() throws Exception {
        Path alpha = cwebp(png("alpha.png", 330, 170, true), "alpha.webp");
        Path animation = img2webp("animation.webp", 400, 300);
        assertThat(decode(Files.readAllBytes(alpha)).originalWidth()).isEqualTo(330);
        assertThat(decode(Files.readAllBytes(animation)).originalWidth()).isEqualTo(400);
    }

    @Test
    void shouldStillDecodeAFullHdPhotoWithinTheDefaultBudget() throws Exception {
        byte[] webp = Files.readAllBytes(cwebp(png("hd.png", 1920, 1080, false), "hd.webp"));
        DecodedPixels pixels = decode(webp);
        assertThat(pixels.originalWidth()).isEqualTo(1920);
        assertThat(pixels.originalHeight()).isEqualTo(1080);
    }

    /** A noisy photo-like PNG (so the encoder codes every macroblock), with alpha if asked. */
    private Path png(String name, int width, int height, boolean alpha) throws Exception {
        Random random = new Random(name.hashCode());
        BufferedImage image =
                new BufferedImage(
                        width,
                        height,
                        alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int value = (x * 3 + y + random.nextInt(40)) & 0xFF;
                int a = alpha ? (x * 255 / width) << 24 : 0;
                image.setRGB(x, y, a | value << 16 | (255 - value) << 8 | (value ^ y) & 0xFF);
            }
        }
        Path file = dir.resolve(name);
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    /** A lossy animation of two {@code width x height} frames, written by libwebp's img2webp. */
    private Path img2webp(String name, int width, int height) throws Exception {
        Path animation = dir.resolve(name);
        ReferenceTools.Run run =
                ReferenceTools.run(
                        List.of(
                                ReferenceTools.bin("img2webp"),
                                "-lossy",
                                png(name + "-1.png", width, height, false).toString(),
                                png(name + "-2.png", width, height, false).toString(),
                                "-o",
                                animation.toString()));
        assertThat(run.exitCode()).as(run.output()).isZero();
        return animation;
    }

    private Path cwebp(Path input, String name) throws Exception {
        Path output = dir.resolve(name);
        List<String> command = new ArrayList<>();
        command.add(ReferenceTools.bin("cwebp"));
        command.addAll(List.of("-quiet", "-q", "80", input.toString(), "-o", output.toString()));
        ReferenceTools.Run run = ReferenceTools.run(command);
        assertThat(run.exitCode()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return output;
    }

    /** Heap in use 90 % into a decode subsampled 8 x, over what was in use before, per block. */
    private static double heapPerMacroblock(byte[] webp, long macroblocks) throws Exception {
        ImageReader reader = SocialFormat.WEBP.newReader();
        long[] held = {-1};
        long before;
        try (ImageInputStream stream =
                ImageIO.createImageInputStream(new ByteArrayInputStream(webp))) {
            reader.setInput(stream);
            reader.addIIOReadProgressListener(new ProgressAt(90, () -> held[0] = heapInUse()));
            var param = reader.getDefaultReadParam();
            // Subsampled 8 x: the raster is small, the macroblocks are not.
            param.setSourceSubsampling(8, 8, 0, 0);
            before = heapInUse();
            BufferedImage image = reader.read(0, param);
            assertThat(image.getWidth()).isEqualTo(128);
        } finally {
            reader.dispose();
        }
        assertThat(held[0]).as("heap measured during the decode").isPositive();
        return (held[0] - before) / (double) macroblocks;
    }

    private static long heapInUse() {
        Runtime runtime = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, runtime.totalMemory() - runtime.freeMemory());
        }
        return least;
    }

    /** Runs {@code action} once, when the decode passes {@code percent}. */
    private static final class ProgressAt implements IIOReadProgressListener {
        private final float percent;
        private final Runnable action;
        private boolean done;

        ProgressAt(float percent, Runnable action) {
            this.percent = percent;
            this.action = action;
        }

        @Override
        public void imageProgress(ImageReader source, float percentageDone) {
            if (!done && percentageDone >= percent) {
                done = true;
                action.run();
            }
        }

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {}

        @Override
        public void sequenceComplete(ImageReader source) {}

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {}

        @Override
        public void imageComplete(ImageReader source) {}

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {}

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {}

        @Override
        public void thumbnailComplete(ImageReader source) {}

        @Override
        public void readAborted(ImageReader source) {}
    }
}
