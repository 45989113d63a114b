package org.imagestream.benchmarks;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.model.Domain;
import org.imagestream.samples.DicomWriter;
import org.imagestream.samples.SampleImages;
import org.imagestream.samples.SyntheticScenes;

/**
 * Distinct records from a few base files of each kind, each with a unique marker that survives what
 * the job does before it hashes a record (de-identification, for DICOM).
 */
final class Mix {
    private final List<byte[]> jpegs = new ArrayList<>();
    private final List<byte[]> geotiffs = new ArrayList<>();
    private final List<byte[]> dicoms = new ArrayList<>();
    private int serial;
    int smallestJpeg = Integer.MAX_VALUE;
    int largestJpeg;
    int geotiffSize;
    int dicomSize;

    Mix(Random random) throws IOException {
        for (int i = 0; i < 12; i++) {
            int width = 800 + random.nextInt(1001);
            int height = width * 3 / 4;
            int amplitude = 2 + random.nextInt(6); // sensor noise: sets the file size
            BufferedImage photo =
                    SyntheticScenes.noisyPhoto(i % 4, width, height, amplitude, random);
            ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
            ImageIO.write(photo, "jpeg", jpeg);
            jpegs.add(jpeg.toByteArray());
            smallestJpeg = Math.min(smallestJpeg, jpeg.size());
            largestJpeg = Math.max(largestJpeg, jpeg.size());
            geotiffs.add(SampleImages.generate(Domain.REMOTE_SENSING, i, random).bytes());
            short[] slice = SyntheticScenes.medicalSlice(i % 4, 512, random);
            dicoms.add(DicomWriter.writeCt(slice, 512, 512, 40, 400, -1024, 1));
        }
        geotiffSize = geotiffs.get(0).length;
        dicomSize = dicoms.get(0).length;
    }

    List<Item> items(int count) {
        List<Item> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(next());
        }
        return items;
    }

    /** 2 social : 1 remote sensing : 1 medical. */
    Item next() {
        int n = serial++;
        byte[] marker = ("imagestream-bench " + n).getBytes(StandardCharsets.US_ASCII);
        return switch (n % 4) {
            case 0, 1 ->
                    new Item(
                            Domain.SOCIAL,
                            "photo-" + n + ".jpg",
                            "image/jpeg",
                            withJpegComment(jpegs.get(n % jpegs.size()), marker));
            case 2 ->
                    new Item(
                            Domain.REMOTE_SENSING,
                            "tile-" + n + ".tif",
                            "image/tiff",
                            concat(geotiffs.get(n % geotiffs.size()), marker));
            default ->
                    new Item(
                            Domain.MEDICAL,
                            "slice-" + n + ".dcm",
                            "application/dicom",
                            withDicomPadding(
                                    withSerialInLastPixels(dicoms.get(n % dicoms.size()), n),
                                    marker));
        };
    }

    /** A COM segment right after SOI: changes the bytes, not the pixels. */
    private static byte[] withJpegComment(byte[] jpeg, byte[] text) {
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + 4 + text.length);
        out.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xFE);
        out.putShort((short) (text.length + 2)).put(text).put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    /**
     * The record's serial in the last two pixels (12 bits each, inside Bits Stored), which end the
     * base file. The job de-identifies a DICOM file before it hashes it, and de-identification
     * drops the trailing padding below, so without this every slice of one base file was the same
     * image to the job: its dedup cache answered a quarter of the mix without decoding or
     * classifying (from the allow-list de-identifier until session 33, docs/benchmarks.md), while
     * the peer and the floor did both.
     */
    private static byte[] withSerialInLastPixels(byte[] dicom, int serial) {
        byte[] out = dicom.clone();
        ByteBuffer pixels = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        pixels.putShort(out.length - 4, (short) (serial & 0xFFF));
        pixels.putShort(out.length - 2, (short) ((serial >>> 12) & 0xFFF));
        return out;
    }

    /** Data Set Trailing Padding (FFFC,FFFC) OB after the pixels (explicit VR LE). */
    private static byte[] withDicomPadding(byte[] dicom, byte[] text) {
        int length = text.length + (text.length & 1);
        ByteBuffer out =
                ByteBuffer.allocate(dicom.length + 12 + length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(dicom).putShort((short) 0xFFFC).putShort((short) 0xFFFC);
        out.put((byte) 'O').put((byte) 'B').putShort((short) 0).putInt(length).put(text);
        return out.array();
    }

    /** Bytes after a TIFF's last referenced byte are ignored by readers. */
    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
