package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.imagestream.localstack.Commands;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.testing.PoisonPills;
import org.imagestream.testing.ShippedFlinkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that killed a TaskManager with {@code OutOfMemoryError} (issue 17), run through the real
 * decode path in a JVM with the heap one slot of {@code cluster up}'s TaskManager gets (Flink's own
 * memory arithmetic on {@code flink-conf/} at 1400m, the smallest TaskManager the project starts)
 * and {@code -XX:+ExitOnOutOfMemoryError}, as a TaskManager runs: every input must end as pixels or
 * a typed {@link DecodeException}, and the JVM must exit normally.
 */
class PoisonPillDecodeTest {
    private static final long MIB = 1024 * 1024;

    /** {@code cluster up}'s default {@code --taskmanager-memory}. */
    private static final String CLUSTER_UP_TASK_MANAGER_MEMORY = "1400m";

    @TempDir Path dir;

    @Test
    void shouldEndEveryPoisonPillAsPixelsOrTypedRefusalWithinOneSlotsHeap() throws Exception {
        List<String> args = new ArrayList<>();
        Map<String, String> expected = new LinkedHashMap<>();
        // 1x1 PNGs whose text chunk after IDAT inflates to 1.5 GB: the pixels are fine.
        add(
                args,
                expected,
                "ztxt-bomb.png",
                PoisonPills.pngTextBomb(1536 * MIB, false),
                "social",
                "224x224x3",
                "OK 1x1");
        add(
                args,
                expected,
                "itxt-bomb.png",
                PoisonPills.pngTextBomb(1536 * MIB, true),
                "social",
                "224x224x3",
                "OK 1x1");
        // 8192x8192 16-bit grey + alpha: 512 MiB as a 4-byte raster; the model shrinks it anyway.
        add(
                args,
                expected,
                "gray-alpha-16bit-8192.png",
                PoisonPills.png16BitGrayAlpha(8192),
                "social",
                "224x224x3",
                "OK 8192x8192");
        // 64 MP photo with an ICC profile and EXIF orientation 6: 256 MiB as ARGB ints.
        add(
                args,
                expected,
                "64mp-icc-orientation6.jpg",
                PoisonPills.jpegWithIccAndOrientation(9248, 6936, 6),
                "social",
                "224x224x3",
                "OK 6936x9248");
        // 8192x8192, 13 bands of uint16, tiled Deflate: 1.7 GB decoded from a small file. Cut
        // into 64 full-resolution tiles (within limits.max-parts) it cannot fit the heap;
        // resampled as a whole it is read subsampled.
        byte[] scene = PoisonPills.tiledDeflateTiff(8192, 13, 256);
        add(
                args,
                expected,
                "13band-8192-tiles.tif",
                scene,
                "remote-sensing",
                "64x64x13:tiles",
                "TOO_LARGE");
        add(
                args,
                expected,
                "13band-8192-resize.tif",
                scene,
                "remote-sensing",
                "64x64x13:resize",
                "OK 8192x8192");
        // One 4096x4096 tile of 13 uint16 bands (436 MB decoded, more than the heap): the reader
        // must not hold the whole tile.
        add(
                args,
                expected,
                "13band-4096-one-tile.tif",
                PoisonPills.tiledDeflateTiff(4096, 13, 4096),
                "remote-sensing",
                "64x64x13:resize",
                "OK 4096x4096");
        // A deflated DICOM of a 64x64 image whose pixel data inflates to 600 MB.
        add(
                args,
                expected,
                "deflate-bomb.dcm",
                PoisonPills.deflatedDicom(64, 64, 600 * MIB),
                "medical",
                "64x64x1",
                "TOO_LARGE");
        // A legitimate deflated 512x512 CT: decoded, and stored deflated, not inflated.
        add(
                args,
                expected,
                "deflated-512.dcm",
                PoisonPills.deflatedDicom(512, 512, 512 * 512 * 2),
                "medical",
                "64x64x1",
                "OK 512x512");

        // Directories nested 200,000 deep: TwelveMonkeys' TIFF reader follows SubIFDs by
        // recursion (StackOverflowError on every replay); refused from the directories.
        add(
                args,
                expected,
                "subifd-nest.tif",
                PoisonPills.nestedSubIfdTiff(200_000),
                "remote-sensing",
                "64x64x13:resize",
                "CORRUPT");
        // The same nesting in a PNG's EXIF block: orientation comes from the first directory.
        add(
                args,
                expected,
                "exif-nest.png",
                PoisonPills.nestedExifPng(150_000),
                "social",
                "224x224x3",
                "OK 1x1");
        // A 16x16 scene whose TileWidth says 160,000,000: a 4 GB row buffer if trusted.
        add(
                args,
                expected,
                "tile-width.tif",
                PoisonPills.wideTileTiff(13, 160_000_000),
                "remote-sensing",
                "64x64x13:resize",
                "CORRUPT");
        // A 290 KB lossless WebP of 1024 x 1024 pixels declaring 65,536 prefix-code groups:
        // about 360 MB of TwelveMonkeys' tables before the first pixel.
        add(
                args,
                expected,
                "huffman-groups.webp",
                PoisonPills.huffmanGroupWebp(1024),
                "social",
                "224x224x3",
                "TOO_LARGE");
        // Lossless WebPs whose pixels' codes take no bits: TwelveMonkeys' bit reader threw an
        // EOFException per pixel at the end of the file (22 s of CPU: TOO_SLOW) and refused the
        // 28-byte one (CORRUPT), both of which dwebp decodes.
        add(
                args,
                expected,
                "zero-bit-pixels.webp",
                PoisonPills.huffmanGroupWebp(2600, 1),
                "social",
                "224x224x3",
                "OK 2600x2600");
        add(
                args,
                expected,
                "black.webp",
                PoisonPills.blackLosslessWebp(2600),
                "social",
                "224x224x3",
                "OK 2600x2600");
        // A 382-byte lossy WebP whose frame header declares 8000 x 7000 pixels (within the pixel
        // limit): TwelveMonkeys builds its 220,880 macroblocks, 1.2 GB, before reading one, and
        // subsampling does not shrink them (found by FuzzCampaign).
        add(
                args,
                expected,
                "vp8-macroblocks.webp",
                PoisonPills.lossyWebpFrameSize(8000, 7000),
                "social",
                "224x224x3",
                "TOO_LARGE");
        // 1 x 8,388,608 pixels (16 KB): within the pixel budget, not with its per-row arrays.
        add(
                args,
                expected,
                "needle.png",
                PoisonPills.grayPng(1, 8_388_608),
                "social",
                "224x224x3",
                "TOO_LARGE");

        long heap = slotHeapBytes();
        Process probe = startProbe(heap, DecodeLimits.DEFAULT.maxDecodeMemory(), args);
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(5, TimeUnit.MINUTES)).isTrue();
        System.out.println("decode probe at -Xmx" + heap / MIB + "m:\n" + output);

        assertThat(probe.exitValue())
                .as("probe JVM exit code (3: OutOfMemoryError)\n" + output)
                .isZero();
        Map<String, String> outcomes = new LinkedHashMap<>();
        Map<String, String> details = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String[] fields = line.split("\t");
            if (fields.length >= 3 && expected.containsKey(fields[0])) {
                // Pixels: the recorded size is the file's own (upright), even when it was read
                // subsampled.
                outcomes.put(fields[0], fields[1].equals("OK") ? "OK " + fields[3] : fields[1]);
                details.put(fields[0], fields[2]);
            }
        }
        assertThat(outcomes).isEqualTo(expected);
        // Stored deflated: far smaller than the 512 KiB of pixel data it carries.
        assertThat(Long.parseLong(details.get("deflated-512.dcm"))).isLessThan(64 * 1024);
    }

    @Test
    void shouldSeeTheTaskManagerDieWhenTheBudgetIsLargerThanTheHeap() throws Exception {
        // The control: the same probe with a 4 GiB decode budget lets the 8192x8192 16-bit PNG be
        // decoded at full size, and the JVM ends as a TaskManager did.
        List<String> args =
                List.of(
                        PoisonPills.write(
                                        dir,
                                        "gray-alpha-16bit-8192.png",
                                        PoisonPills.png16BitGrayAlpha(8192))
                                .toString(),
                        "social",
                        "224x224x3");
        assertDiesOfOutOfMemory(args);
        // And the lossy WebP's macroblocks, whatever the subsampling.
        assertDiesOfOutOfMemory(
                List.of(
                        PoisonPills.write(
                                        dir,
                                        "vp8-macroblocks.webp",
                                        PoisonPills.lossyWebpFrameSize(8000, 7000))
                                .toString(),
                        "social",
                        "224x224x3"));
    }

    private static void assertDiesOfOutOfMemory(List<String> args) throws Exception {
        Process probe = startProbe(slotHeapBytes(), 4096 * MIB, args);
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(output).contains("Terminating due to java.lang.OutOfMemoryError");
        assertThat(probe.exitValue()).isEqualTo(3);
    }

    /** The decode probe in a JVM of {@code heap} bytes that exits on OutOfMemoryError. */
    private static Process startProbe(long heap, long decodeBudget, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Commands.javaLauncher());
        command.add("-Xmx" + heap / MIB + "m");
        // The TaskManager's own JVM options from flink-conf/ (exit on OutOfMemoryError, the
        // collector's region size), not a copy of them.
        command.addAll(taskManagerJvmOptions());
        command.add("-Dprobe.max-decode-memory=" + decodeBudget);
        command.add("-cp");
        command.add(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(DecodeProbe.class.getName());
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /**
     * The JVM heap of {@code cluster up}'s TaskManager divided by its slots, from Flink's own
     * memory model applied to {@code flink-conf/config.yaml}.
     */
    static long slotHeapBytes() {
        Configuration conf = ShippedFlinkConf.load();
        conf.set(
                TaskManagerOptions.TOTAL_PROCESS_MEMORY,
                MemorySize.parse(CLUSTER_UP_TASK_MANAGER_MEMORY));
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        return spec.getJvmHeapMemorySize().getBytes() / conf.get(TaskManagerOptions.NUM_TASK_SLOTS);
    }

    /** {@code env.java.opts.taskmanager} of {@code flink-conf/config.yaml}, one flag each. */
    static List<String> taskManagerJvmOptions() {
        Configuration conf = ShippedFlinkConf.load();
        List<String> options = FlinkClusterServer.taskManagerJvmOptions(conf);
        assertThat(options)
                .as("flink-conf/ TaskManager JVM options")
                .contains("-XX:+ExitOnOutOfMemoryError");
        return options;
    }

    private void add(
            List<String> args,
            Map<String, String> expected,
            String name,
            byte[] bytes,
            String domain,
            String model,
            String outcome)
            throws IOException {
        args.add(PoisonPills.write(dir, name, bytes).toString());
        args.add(domain);
        args.add(model);
        expected.put(name, outcome);
    }
}
