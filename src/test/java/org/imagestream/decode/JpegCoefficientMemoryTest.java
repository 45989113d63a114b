package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.imagestream.model.Domain;
import org.imagestream.testing.ReferenceTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The native share of a JPEG's decode budget against libjpeg's own accounting: libjpeg-turbo's
 * {@code djpeg -maxmemory N} fails ("Backing store not supported") when the buffers it must hold
 * exceed N kB, so the least N it decodes a file with is what it needs. Files written by its {@code
 * cjpeg} with the sampling factors and scan scripts of real photos.
 */
class JpegCoefficientMemoryTest {
    /** libjpeg's other large buffers (tables, a row group of output) besides the coefficients. */
    private static final long OTHER_BUFFERS = 512 * 1024;

    @TempDir Path dir;

    @ParameterizedTest
    @CsvSource({
        "1000, 700, -progressive -sample 2x2",
        "1001, 701, -progressive -sample 1x1",
        "999, 333, -progressive -sample 2x1",
        "640, 480, -progressive -grayscale",
        "1000, 700, -sample 2x2",
        "1000, 700, -progressive -sample 2x2 -restart 1",
        // Sequential, each component in a scan of its own: buffered whole like a progressive one.
        "1000, 700, -sample 2x2 -scans SEPARATE"
    })
    void shouldChargeWhatLibjpegNeedsForTheCoefficients(int width, int height, String options)
            throws Exception {
        Path ppm = dir.resolve("noise.ppm");
        Files.write(ppm, noisePpm(width, height));
        List<String> command = new ArrayList<>();
        command.add(ReferenceTools.bin("cjpeg"));
        Path separate = dir.resolve("separate.txt");
        Files.writeString(separate, "0;\n1;\n2;\n");
        for (String option : options.split(" ")) {
            command.add(option.equals("SEPARATE") ? separate.toString() : option);
        }
        command.add("-outfile");
        Path jpeg = dir.resolve("out.jpg");
        command.add(jpeg.toString());
        command.add(ppm.toString());
        assertThat(run(command)).isZero();
        byte[] bytes = Files.readAllBytes(jpeg);

        long needed = 1024 * leastMaxMemoryKb(jpeg);
        JpegMarkers markers = JpegMarkers.ofJpeg(bytes);
        long charged =
                markers.nativeCoefficientBytes(bytes, JpegMarkers.scans(bytes, 0, bytes.length));
        System.out.printf(
                "%s %dx%d: libjpeg needs %d bytes, charged %d%n",
                options, width, height, needed, charged);
        if (options.contains("-progressive") || options.contains("-scans")) {
            assertThat(charged).isLessThanOrEqualTo(needed).isGreaterThan(needed - OTHER_BUFFERS);
        } else {
            // One scan: decoded an MCU row at a time, nothing buffered whole.
            assertThat(charged).isZero();
            assertThat(needed).isLessThan(OTHER_BUFFERS);
        }
    }

    /**
     * A sequential frame whose only scan holds one of its three components: one scan, but libjpeg
     * expects the others and buffers every coefficient, as djpeg's needs show.
     */
    @Test
    void shouldChargeASequentialFrameWhoseFirstScanLacksComponents() throws Exception {
        Path ppm = dir.resolve("noise.ppm");
        Files.write(ppm, noisePpm(1000, 700));
        Path separate = dir.resolve("separate.txt");
        Files.writeString(separate, "0;\n1;\n2;\n");
        Path whole = dir.resolve("separate.jpg");
        assertThat(
                        run(
                                List.of(
                                        ReferenceTools.bin("cjpeg"),
                                        "-sample",
                                        "2x2",
                                        "-scans",
                                        separate.toString(),
                                        "-outfile",
                                        whole.toString(),
                                        ppm.toString())))
                .isZero();
        byte[] bytes = Files.readAllBytes(whole);
        int first = org.imagestream.testing.Bytes.indexOf(bytes, new byte[] {-1, (byte) 0xDA});
        int second = first + 2;
        while (bytes[second] != -1 || bytes[second + 1] != (byte) 0xDA) {
            second++;
        }
        byte[] cut =
                org.imagestream.testing.Bytes.concat(
                        java.util.Arrays.copyOf(bytes, second), new byte[] {-1, (byte) 0xD9});
        Path file = Files.write(dir.resolve("one-scan.jpg"), cut);

        JpegMarkers markers = JpegMarkers.ofJpeg(cut);
        assertThat(markers.scansOfImage(cut)).isEqualTo(1);
        long needed = 1024 * leastMaxMemoryKb(file);
        long charged = markers.nativeCoefficientBytes(cut, JpegMarkers.scans(cut, 0, cut.length));
        assertThat(charged).isLessThanOrEqualTo(needed).isGreaterThan(needed - OTHER_BUFFERS);
    }

    /**
     * A camera's baseline photo carries other images: an EXIF thumbnail in APP1 before the frame
     * header and, in multi-picture files, images after its end marker. Their scans are not the
     * photo's: it is decoded row by row and charged nothing, as djpeg's needs show.
     */
    @Test
    void shouldNotCountTheScansOfAThumbnailOrOfAnAppendedImage() throws Exception {
        Path ppm = dir.resolve("noise.ppm");
        Files.write(ppm, noisePpm(800, 600));
        Path main = dir.resolve("main.jpg");
        Path thumbnail = dir.resolve("thumbnail.jpg");
        String cjpeg = ReferenceTools.bin("cjpeg");
        assertThat(run(List.of(cjpeg, "-outfile", main.toString(), ppm.toString()))).isZero();
        Path smallPpm = dir.resolve("small.ppm");
        Files.write(smallPpm, noisePpm(80, 60));
        assertThat(
                        run(
                                List.of(
                                        cjpeg,
                                        "-progressive",
                                        "-outfile",
                                        thumbnail.toString(),
                                        smallPpm.toString())))
                .isZero();
        byte[] photo = Files.readAllBytes(main);
        byte[] small = Files.readAllBytes(thumbnail);
        ByteArrayOutputStream camera = new ByteArrayOutputStream();
        camera.write(photo, 0, 2); // SOI
        byte[] exif = new byte[6 + small.length];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
        System.arraycopy(small, 0, exif, 6, small.length);
        camera.write(0xFF);
        camera.write(0xE1);
        camera.write((exif.length + 2) >> 8);
        camera.write((exif.length + 2) & 0xFF);
        camera.writeBytes(exif);
        camera.write(photo, 2, photo.length - 2);
        camera.writeBytes(small); // a second picture after the end marker
        byte[] bytes = camera.toByteArray();
        Path file = Files.write(dir.resolve("camera.jpg"), bytes);

        JpegMarkers markers = JpegMarkers.ofJpeg(bytes);
        assertThat(JpegMarkers.scans(bytes, 0, bytes.length))
                .as("FF DA in the file")
                .isGreaterThan(2);
        assertThat(markers.scansOfImage(bytes)).isEqualTo(1);
        assertThat(markers.nativeCoefficientBytes(bytes, JpegMarkers.scans(bytes, 0, bytes.length)))
                .isZero();
        assertThat(1024 * leastMaxMemoryKb(file)).isLessThan(OTHER_BUFFERS);
    }

    @Test
    void shouldRefuseAProgressivePhotoWhoseCoefficientsExceedTheBudgetAndDecodeItsBaselineTwin()
            throws Exception {
        // 6000 x 4000 in 4:2:0: 72 MB of coefficients, over the 64 MiB default; the baseline file
        // of the same pixels needs none of it.
        BufferedImage image = new BufferedImage(6000, 4000, BufferedImage.TYPE_3BYTE_BGR);
        java.awt.Graphics2D graphics = image.createGraphics();
        graphics.setPaint(
                new java.awt.GradientPaint(
                        0, 0, java.awt.Color.ORANGE, 6000, 4000, java.awt.Color.BLUE));
        graphics.fillRect(0, 0, 6000, 4000);
        graphics.dispose();
        byte[] progressive = jpeg(image, true);
        byte[] baseline = jpeg(image, false);
        ModelInput input = new ModelInput(224, 224, 3);

        assertThat(ImageDecoders.decode(Domain.SOCIAL, baseline, input).pixels()).isNotEmpty();
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.SOCIAL, progressive, input))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.reason()).isEqualTo(DecodeException.Reason.TOO_LARGE));
    }

    private static byte[] jpeg(BufferedImage image, boolean progressive) throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The least {@code -maxmemory} (kB) djpeg decodes the file with, by bisection. */
    private long leastMaxMemoryKb(Path jpeg) throws Exception {
        long fails = 0;
        long decodes = 1 << 20;
        while (decodes - fails > 1) {
            long middle = (fails + decodes) / 2;
            List<String> command =
                    List.of(
                            ReferenceTools.bin("djpeg"),
                            "-maxmemory",
                            Long.toString(middle),
                            "-outfile",
                            dir.resolve("out.ppm").toString(),
                            jpeg.toString());
            if (run(command) == 0) {
                decodes = middle;
            } else {
                fails = middle;
            }
        }
        return decodes;
    }

    private static byte[] noisePpm(int width, int height) {
        byte[] header =
                ("P6\n" + width + " " + height + "\n255\n").getBytes(StandardCharsets.US_ASCII);
        byte[] ppm = new byte[header.length + width * height * 3];
        System.arraycopy(header, 0, ppm, 0, header.length);
        Random random = new Random(width * 31L + height);
        for (int i = header.length; i < ppm.length; i++) {
            ppm[i] = (byte) random.nextInt(256);
        }
        return ppm;
    }

    private static int run(List<String> command) throws Exception {
        return ReferenceTools.run(command).exitCode();
    }
}
