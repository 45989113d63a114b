package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;
import org.imagestream.samples.GeoTiffWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scene decoded from a local copy of its object (file:// here), as streamed scenes are. */
class StreamedSceneTest {
    @TempDir Path root;

    private static final ModelInput INPUT =
            new ModelInput(16, 16, 4, null, 1f, null, null).withTiling(SceneTiling.RESIZE);

    private byte[] scene() {
        short[] samples = new short[96 * 64 * 4];
        Random random = new Random(11);
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (short) random.nextInt(4000);
        }
        return GeoTiffWriter.write(samples, 96, 64, 4, 500_000, 5_800_000, 10, 32633);
    }

    @Test
    void decodesTheCopyAsTheSameBytesDecodeInTheHeapAndLeavesNoCopyBehind() throws Exception {
        byte[] scene = scene();
        Path object = Files.write(root.resolve("scene.tif"), scene);
        Path spool = Files.createDirectories(root.resolve("spool"));
        DecodedPixels streamed =
                StreamedScene.decode(
                        object.toUri().toString(),
                        scene.length,
                        sha256(scene),
                        INPUT,
                        DecodeLimits.DEFAULT,
                        spool,
                        null);
        // The size the file was written with, and the in-heap path's model input.
        assertThat(streamed.originalWidth()).isEqualTo(96);
        assertThat(streamed.originalHeight()).isEqualTo(64);
        DecodedPixels inHeap = ImageDecoders.decode(Domain.REMOTE_SENSING, scene, INPUT);
        assertThat(streamed.pixels()).isEqualTo(inHeap.pixels());
        assertThat(streamed.extras()).isEqualTo(inHeap.extras());
        try (var left = Files.list(spool)) {
            assertThat(left).isEmpty();
        }
    }

    /** A tiled scene's tiles handed over as they are read from the copy: the heap path's tiles. */
    @Test
    void handsOverTheTilesOfTheCopyAsTheHeapPathCutsThem() throws Exception {
        byte[] scene = scene();
        Path object = Files.write(root.resolve("scene.tif"), scene);
        Path spool = Files.createDirectories(root.resolve("spool"));
        ModelInput tiled = INPUT.withTiling(SceneTiling.TILE);
        CollectingPartSink sink = new CollectingPartSink(7);
        DecodedPixels streamed =
                StreamedScene.decode(
                        object.toUri().toString(),
                        scene.length,
                        sha256(scene),
                        tiled,
                        DecodeLimits.DEFAULT,
                        spool,
                        sink);
        DecodedPixels inHeap = ImageDecoders.decode(Domain.REMOTE_SENSING, scene, tiled);
        assertThat(streamed.pixels()).isNull();
        assertThat(streamed.parts()).isEqualTo(inHeap.parts()).isEqualTo(24); // 6 x 4 tiles
        assertThat(sink.joined()).isEqualTo(inHeap.pixels());
        assertThat(streamed.partExtras()).isEqualTo(inHeap.partExtras());
        try (var left = Files.list(spool)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anObjectChangedSinceItWasHashedIsUnreadableAndACutOneTruncated() throws Exception {
        byte[] scene = scene();
        Path object = Files.write(root.resolve("scene.tif"), scene);
        byte[] other = scene.clone();
        other[other.length - 1] ^= 1;
        assertThatThrownBy(
                        () ->
                                StreamedScene.decode(
                                        object.toUri().toString(),
                                        scene.length,
                                        sha256(other),
                                        INPUT,
                                        DecodeLimits.DEFAULT,
                                        root,
                                        null))
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.REFERENCE_UNREADABLE);
        byte[] cut = java.util.Arrays.copyOf(scene, scene.length / 2);
        Path cutObject = Files.write(root.resolve("cut.tif"), cut);
        assertThatThrownBy(
                        () ->
                                StreamedScene.decode(
                                        cutObject.toUri().toString(),
                                        cut.length,
                                        sha256(cut),
                                        INPUT,
                                        DecodeLimits.DEFAULT,
                                        root,
                                        null))
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.TRUNCATED);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
