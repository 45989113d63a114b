package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.imagestream.samples.DicomWriter;
import org.junit.jupiter.api.Test;

class NativeDicomFramesTest {
    /**
     * Each frame row must be what PS3.3 says, computed here from the raw 16-bit words in the
     * standard's own form: the Bits Stored field under High Bit (C.7.6.3.1), two's complement when
     * Pixel Representation is 1, the rescale (C.11.1), then the linear VOI function (C.11.2.1.2.1:
     * 0 up to {@code c - 0.5 - (w - 1) / 2}, 1 above {@code c - 0.5 + (w - 1) / 2}, {@code ((x - (c
     * - 0.5)) / (w - 1) + 0.5)} between). A 256x256 frame takes the decoder's table for every
     * layout here, a 32x32 one computes each sample for layouts of more than 10 stored bits.
     */
    @Test
    void shouldRenderEveryLayoutAsTheStandardSays() throws Exception {
        int[][] layouts = { // bits stored, high bit, pixel representation
            {12, 11, 0}, {12, 11, 1}, {16, 15, 0}, {16, 15, 1}, {10, 13, 0}, {10, 13, 1}, {8, 7, 1}
        };
        Random random = new Random(17);
        for (int size : new int[] {256, 32}) {
            for (int[] layout : layouts) {
                short[] words = new short[size * size];
                for (int i = 0; i < words.length; i++) {
                    words[i] = (short) random.nextInt(65536); // unused bits set too
                }
                double center = 40;
                double width = 400;
                double intercept = -1024;
                double slope = 1.5;
                byte[] file =
                        withLayout(
                                DicomWriter.writeCt(
                                        words, size, size, center, width, intercept, slope),
                                layout[0],
                                layout[1],
                                layout[2]);
                DicomFileMeta.Readable readable = DicomFileMeta.open(file, DecodeLimits.DEFAULT);
                DicomHeader header =
                        DicomHeader.read(
                                readable.bytes(),
                                readable.datasetOffset(),
                                readable.transferSyntax());
                Pixels.RowSource rows =
                        new NativeDicomFrames(readable.bytes(), header)
                                .windowedRows(0, size, new VoiWindow(center, width));
                float[] row = new float[size];
                for (int y = 0; y < size; y++) {
                    rows.read(y, row);
                    for (int x = 0; x < size; x++) {
                        int word = Short.toUnsignedInt(words[y * size + x]);
                        int stored =
                                (word >>> (layout[1] - layout[0] + 1)) & ((1 << layout[0]) - 1);
                        int value =
                                layout[2] == 1
                                        ? (stored << (32 - layout[0])) >> (32 - layout[0])
                                        : stored;
                        double modality = slope * value + intercept;
                        double expected;
                        if (modality <= center - 0.5 - (width - 1) / 2) {
                            expected = 0;
                        } else if (modality > center - 0.5 + (width - 1) / 2) {
                            expected = 1;
                        } else {
                            expected = (modality - (center - 0.5)) / (width - 1) + 0.5;
                        }
                        assertThat((double) row[x])
                                .as(
                                        "%dx%d, layout %d/%d/%d, (%d, %d)",
                                        size, size, layout[0], layout[1], layout[2], x, y)
                                .isCloseTo(expected, within(1e-6));
                    }
                }
            }
        }
    }

    /** The file with Bits Stored, High Bit and Pixel Representation set (explicit VR LE, US). */
    private static byte[] withLayout(byte[] file, int bitsStored, int highBit, int signed) {
        setUs(file, 0x0101, bitsStored);
        setUs(file, 0x0102, highBit);
        setUs(file, 0x0103, signed);
        return file;
    }

    private static void setUs(byte[] file, int element, int value) {
        for (int at = 132; at + 10 <= file.length; at++) {
            if (file[at] == 0x28
                    && file[at + 1] == 0x00
                    && file[at + 2] == (byte) element
                    && file[at + 3] == (byte) (element >> 8)
                    && file[at + 4] == 'U'
                    && file[at + 5] == 'S') {
                file[at + 8] = (byte) value;
                file[at + 9] = (byte) (value >> 8);
                return;
            }
        }
        throw new AssertionError("no (0028," + Integer.toHexString(element) + ")");
    }
}
