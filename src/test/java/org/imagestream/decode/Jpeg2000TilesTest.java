package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imagestream.model.Domain;
import org.imagestream.testing.Bytes;
import org.imagestream.testing.PlantedDicom;
import org.imagestream.testing.ReferenceTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JPEG 2000 tile limit through the medical decode path: OpenJPEG's opj_compress writes a 1024 x
 * 1024 frame in tiles of 8 x 8 and of 256 x 256, opj_dump counts them (the oracle), pydicom wraps
 * each in a DICOM file. The frame of 16,384 tiles (2 s of JJ2000's CPU, inside a decode no deadline
 * stops) is refused; the one of 16 decodes.
 */
class Jpeg2000TilesTest {
    @TempDir Path dir;

    @Test
    void shouldRefuseAFrameOfThousandsOfTinyTilesAndDecodeAFewLargeOnes() throws Exception {
        Path pgm = dir.resolve("ramp.pgm");
        byte[] header = "P5\n1024 1024\n255\n".getBytes(StandardCharsets.US_ASCII);
        byte[] image = new byte[header.length + 1024 * 1024];
        System.arraycopy(header, 0, image, 0, header.length);
        for (int i = 0; i < 1024 * 1024; i++) {
            image[header.length + i] = (byte) ((i % 1024) * 7 + (i / 1024) * 3);
        }
        Files.write(pgm, image);

        byte[] tiny = wrapped(pgm, 8, 128 * 128, ".j2k");
        byte[] large = wrapped(pgm, 256, 4 * 4, ".j2k");
        // A JP2 file (boxes, then the codestream), which PS3.5 excludes: JJ2000 would skip any box,
        // one holding a decoy size segment too, so the frame must start with its codestream.
        byte[] boxed = wrapped(pgm, 256, 4 * 4, ".jp2");
        ModelInput input = new ModelInput(64, 64, 1);
        assertThat(ImageDecoders.decode(Domain.MEDICAL, large, input).pixels()).isNotEmpty();
        assertThatThrownBy(() -> ImageDecoders.decode(Domain.MEDICAL, boxed, input))
                .isInstanceOfSatisfying(
                        DecodeException.class,
                        e -> assertThat(e.getMessage()).contains("JP2 file wrapper"));
        // Also when the frame's first fragment holds nothing but its start-of-codestream marker.
        for (byte[] file : List.of(tiny, splitAfterSoc(tiny))) {
            assertThatThrownBy(() -> ImageDecoders.decode(Domain.MEDICAL, file, input))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> {
                                assertThat(e.reason()).isEqualTo(DecodeException.Reason.CORRUPT);
                                assertThat(e.getMessage()).contains("128 x 128 tiles");
                            });
        }
    }

    /**
     * The file with its one fragment (PS3.5 A.4 item after the Basic Offset Table) cut in two: the
     * 2-byte SOC marker, then the rest of the codestream.
     */
    private static byte[] splitAfterSoc(byte[] file) {
        byte[] pixelData = {(byte) 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, -1, -1, -1, -1};
        int element = Bytes.indexOf(file, pixelData);
        java.nio.ByteBuffer in =
                java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int table = element + pixelData.length;
        int fragment = table + 8 + in.getInt(table + 4);
        int length = in.getInt(fragment + 4);
        java.nio.ByteBuffer items =
                java.nio.ByteBuffer.allocate(8 + 2 + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        items.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(2);
        items.put(file, fragment + 8, 2);
        items.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(length - 2);
        return Bytes.concat(
                java.util.Arrays.copyOfRange(file, 0, fragment),
                items.array(),
                java.util.Arrays.copyOfRange(file, fragment + 10, file.length));
    }

    /**
     * The image in tiles of {@code side}, checked by opj_dump to be {@code tiles}, in a DICOM: as a
     * codestream ({@code .j2k}) or a JP2 file ({@code .jp2}).
     */
    private byte[] wrapped(Path pgm, int side, int tiles, String format) throws Exception {
        Path j2k = dir.resolve("tiles-" + side + format);
        run(
                ReferenceTools.bin("opj_compress"),
                "-i",
                pgm.toString(),
                "-o",
                j2k.toString(),
                "-t",
                side + "," + side,
                "-n",
                "1");
        String dump = run(ReferenceTools.bin("opj_dump"), "-i", j2k.toString());
        Matcher grid = Pattern.compile("tw=(\\d+), th=(\\d+)").matcher(dump);
        assertThat(grid.find()).as(dump).isTrue();
        assertThat(Integer.parseInt(grid.group(1)) * Integer.parseInt(grid.group(2)))
                .isEqualTo(tiles);
        Path dicom = dir.resolve("tiles-" + side + format + ".dcm");
        PlantedDicom.wrapJpeg2000(j2k, 1024, 1024, dicom);
        return Files.readAllBytes(dicom);
    }

    private static String run(String... command) throws Exception {
        ReferenceTools.Run run = ReferenceTools.run(List.of(command));
        assertThat(run.exitCode()).as(String.join(" ", command) + "\n" + run.output()).isZero();
        return run.output();
    }
}
