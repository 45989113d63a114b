package org.imagestream.decode;

import org.imagestream.decode.DecodeException.Reason;

/**
 * JPEG sequential DCT with Huffman coding and 8- or 12-bit samples (ITU T.81 processes 1, 2 and 4),
 * one component: what DICOM's JPEG Extended transfer syntax (1.2.840.10008.1.2.4.51) holds, and
 * what the JDK's JPEG decoder refuses at 12 bits. The inverse DCT is IJG libjpeg's integer "islow"
 * transform, the one DCMTK's dcmdjpeg runs by default, so the samples are DCMTK's.
 *
 * <p>Hand-written because no Java codec on Maven Central decodes 12-bit JPEG; checked against
 * dcmdjpeg on DCMTK's and pydicom's files. Hostile input: every table index and segment length is
 * checked against the stream, a Huffman code that matches nothing or a marker inside the coded data
 * is {@code CORRUPT} (libjpeg would warn and fill), the output never exceeds the frame the DICOM
 * header declared, and the deadline is checked every row of blocks.
 */
final class SequentialJpeg {
    /** Zig-zag position to row-major position in an 8x8 block (T.81 figure A.6). */
    private static final int[] NATURAL_ORDER = {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63
    };

    private static final int CONST_BITS = 13;

    private final byte[] in;
    private final int end;
    private final String what;
    private final int[][] quantTables = new int[4][];
    private final JpegHuffmanTable[] dcTables = new JpegHuffmanTable[4];
    private final JpegHuffmanTable[] acTables = new JpegHuffmanTable[4];
    private int precision;
    private int width;
    private int height;
    private int componentId = -1;
    private int quantIndex;
    private int restartInterval;

    /** One column or row of the inverse DCT, and its result. */
    private final long[] line = new long[8];

    private final long[] result = new long[8];

    private SequentialJpeg(byte[] in, int end, String what) {
        this.in = in;
        this.end = end;
        this.what = what;
    }

    /**
     * Decodes the codestream in {@code in[from, to)} into {@code frame}, which must be the size the
     * codestream declares; one component.
     */
    static void decodeFrame(byte[] in, int from, int to, NativeFrame frame) throws DecodeException {
        SequentialJpeg jpeg = new SequentialJpeg(in, to, frame.what());
        int scanAt = jpeg.readTablesAndFrame(from);
        frame.requireFits(jpeg.width, jpeg.height, jpeg.precision, jpeg::corrupt);
        jpeg.decodeScan(scanAt, frame);
    }

    /** Reads the marker segments up to the first scan; returns where its header starts. */
    private int readTablesAndFrame(int from) throws DecodeException {
        return JpegSegments.toFirstScan(in, from, end, this::readSegment, this::corrupt);
    }

    private void readSegment(int marker, int body, int bodyEnd) throws DecodeException {
        switch (marker) {
            case 0xDB -> readQuantTables(body, bodyEnd);
            case 0xC4 -> readJpegHuffmanTables(body, bodyEnd);
            case 0xC0, 0xC1 -> readFrame(body, bodyEnd);
            case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7 ->
                    throw new DecodeException(
                            Reason.UNSUPPORTED_FORMAT,
                            what
                                    + " is a JPEG of start-of-frame type "
                                    + Integer.toHexString(0xFF00 | marker)
                                    + ", not the sequential Huffman DCT of JPEG extended");
            case 0xDD -> {
                if (bodyEnd - body != 2) {
                    throw corrupt("has a restart interval segment of the wrong length");
                }
                restartInterval = u16(body);
            }
            default -> {
                // APPn, COM and others carry nothing the samples depend on.
            }
        }
    }

    private void readQuantTables(int at, int to) throws DecodeException {
        while (at < to) {
            int pq = u8(at) >> 4;
            int tq = u8(at) & 15;
            int size = pq == 0 ? 64 : 128;
            if (pq > 1 || tq > 3 || at + 1 + size > to) {
                throw corrupt("has an invalid quantisation table");
            }
            int[] table = new int[64];
            for (int k = 0; k < 64; k++) {
                table[NATURAL_ORDER[k]] = pq == 0 ? u8(at + 1 + k) : u16(at + 1 + 2 * k);
            }
            quantTables[tq] = table;
            at += 1 + size;
        }
    }

    private void readJpegHuffmanTables(int at, int to) throws DecodeException {
        while (at < to) {
            if (at + 17 > to) {
                throw corrupt("has a cut Huffman table");
            }
            int tc = u8(at) >> 4;
            int th = u8(at) & 15;
            int[] counts = new int[17];
            int total = 0;
            for (int length = 1; length <= 16; length++) {
                counts[length] = u8(at + length);
                total += counts[length];
            }
            if (tc > 1 || th > 3 || total > 256 || at + 17 + total > to) {
                throw corrupt("has an invalid Huffman table");
            }
            byte[] values = java.util.Arrays.copyOfRange(in, at + 17, at + 17 + total);
            JpegHuffmanTable table = JpegHuffmanTable.of(counts, values);
            if (table == null) {
                throw corrupt("has a Huffman table with more codes than its lengths allow");
            }
            (tc == 0 ? dcTables : acTables)[th] = table;
            at += 17 + total;
        }
    }

    private void readFrame(int at, int to) throws DecodeException {
        if (componentId >= 0) {
            throw corrupt("has two frame headers");
        }
        JpegSegments.Frame frame = JpegSegments.oneComponentFrame(in, at, to, this::corrupt);
        precision = frame.precision();
        height = frame.height();
        width = frame.width();
        if (precision != 8 && precision != 12) {
            throw corrupt("declares " + precision + "-bit samples (8 or 12 for this process)");
        }
        int sampling = frame.sampling();
        quantIndex = frame.quantTable();
        if ((sampling >> 4) < 1
                || (sampling >> 4) > 4
                || (sampling & 15) < 1
                || (sampling & 15) > 4
                || quantIndex > 3) {
            throw corrupt("has an invalid component in its frame header");
        }
        componentId = frame.componentId();
    }

    /** Decodes the scan whose header segment (length first) starts at {@code at}. */
    private void decodeScan(int at, NativeFrame frame) throws DecodeException {
        if (componentId < 0) {
            throw corrupt("has a scan before its frame header");
        }
        int length = u16(at);
        if (length != 8 || u8(at + 2) != 1 || u8(at + 3) != componentId) {
            throw corrupt("has a scan that is not of its one component");
        }
        int dcIndex = u8(at + 4) >> 4;
        int acIndex = u8(at + 4) & 15;
        JpegHuffmanTable dc = dcIndex < 4 ? dcTables[dcIndex] : null;
        JpegHuffmanTable ac = acIndex < 4 ? acTables[acIndex] : null;
        int[] quant = quantTables[quantIndex];
        if (dc == null || ac == null || quant == null) {
            throw corrupt("has a scan using a table it never defines");
        }
        // Spectral selection and successive approximation (the next three bytes) mean nothing in
        // a sequential scan; libjpeg ignores them too (pydicom's JPEG-lossy sets them oddly).
        BitReader bits = new BitReader(at + length);
        int blocksWide = (width + 7) / 8;
        int blocksHigh = (height + 7) / 8;
        int[] coefficients = new int[64];
        long[] workspace = new long[64];
        int[] samples = new int[64];
        int predictor = 0;
        int blocksToRestart = restartInterval;
        int nextRestart = 0;
        for (int by = 0; by < blocksHigh; by++) {
            frame.deadline().check(what);
            for (int bx = 0; bx < blocksWide; bx++) {
                if (restartInterval > 0) {
                    if (blocksToRestart == 0) {
                        bits.restart(nextRestart);
                        nextRestart = (nextRestart + 1) & 7;
                        predictor = 0;
                        blocksToRestart = restartInterval;
                    }
                    blocksToRestart--;
                }
                java.util.Arrays.fill(coefficients, 0);
                predictor = decodeBlock(bits, dc, ac, predictor, coefficients);
                inverseDct(coefficients, quant, workspace, samples);
                int columns = Math.min(8, width - bx * 8);
                for (int r = 0; r < 8 && by * 8 + r < height; r++) {
                    frame.putRow(bx * 8, by * 8 + r, samples, 8 * r, columns);
                }
            }
        }
    }

    /** One block's coefficients (T.81 F.2.2.1), row-major; returns the new DC predictor. */
    private int decodeBlock(
            BitReader bits,
            JpegHuffmanTable dc,
            JpegHuffmanTable ac,
            int predictor,
            int[] coefficients)
            throws DecodeException {
        int category = decode(dc, bits);
        if (category > 15) {
            throw corrupt("has a DC difference of category " + category);
        }
        predictor += bits.receiveExtend(category);
        coefficients[0] = (short) predictor; // libjpeg keeps coefficients as 16-bit JCOEF
        for (int k = 1; k < 64; k++) {
            int runSize = decode(ac, bits);
            int run = runSize >> 4;
            int size = runSize & 15;
            if (size != 0) {
                k += run;
                // A run past the last coefficient lands on it, as libjpeg's padded order table
                // does.
                coefficients[k < 64 ? NATURAL_ORDER[k] : 63] = (short) bits.receiveExtend(size);
            } else if (run == 15) {
                k += 15;
            } else {
                break; // end of block
            }
        }
        return predictor;
    }

    private int decode(JpegHuffmanTable table, BitReader bits) throws DecodeException {
        int value = table.decode(bits);
        if (value < 0) {
            throw corrupt("has a Huffman code its table does not define");
        }
        return value;
    }

    /**
     * libjpeg's jpeg_idct_islow (jidctint.c): dequantise, a column pass scaled up by PASS1_BITS, a
     * row pass, then level shift and clamp through the same wrap-around range limit.
     */
    private void inverseDct(int[] coefficients, int[] quant, long[] workspace, int[] samples) {
        int pass1Bits = precision == 8 ? 2 : 1;
        for (int column = 0; column < 8; column++) {
            boolean acZero = true;
            for (int row = 1; row < 8 && acZero; row++) {
                acZero = coefficients[8 * row + column] == 0;
            }
            if (acZero) {
                // The full pass gives exactly this for a column without AC terms.
                long dc = (long) coefficients[column] * quant[column] << pass1Bits;
                for (int row = 0; row < 8; row++) {
                    workspace[8 * row + column] = (int) dc;
                }
                continue;
            }
            for (int row = 0; row < 8; row++) {
                line[row] = (long) coefficients[8 * row + column] * quant[8 * row + column];
            }
            butterfly(line, result, CONST_BITS - pass1Bits);
            for (int row = 0; row < 8; row++) {
                workspace[8 * row + column] = (int) result[row];
            }
        }
        int maxSample = (1 << precision) - 1;
        int center = 1 << (precision - 1);
        int rangeMask = 4 * (maxSample + 1) - 1;
        for (int r = 0; r < 8; r++) {
            System.arraycopy(workspace, 8 * r, line, 0, 8);
            butterfly(line, result, CONST_BITS + pass1Bits + 3);
            for (int c = 0; c < 8; c++) {
                int wrapped = (int) result[c] & rangeMask;
                int signed =
                        wrapped >= 2 * (maxSample + 1) ? wrapped - 4 * (maxSample + 1) : wrapped;
                samples[8 * r + c] = Math.max(0, Math.min(maxSample, signed + center));
            }
        }
    }

    /** The 8-point islow butterfly of jidctint.c on {@code v}, descaled by {@code shift}. */
    private static void butterfly(long[] v, long[] out, int shift) {
        long z2 = v[2];
        long z3 = v[6];
        long z1 = (z2 + z3) * 4433; // FIX_0_541196100
        long tmp2 = z1 + z3 * -15137; // FIX_1_847759065
        long tmp3 = z1 + z2 * 6270; // FIX_0_765366865
        long tmp0 = (v[0] + v[4]) << CONST_BITS;
        long tmp1 = (v[0] - v[4]) << CONST_BITS;
        long tmp10 = tmp0 + tmp3;
        long tmp13 = tmp0 - tmp3;
        long tmp11 = tmp1 + tmp2;
        long tmp12 = tmp1 - tmp2;
        tmp0 = v[7];
        tmp1 = v[5];
        tmp2 = v[3];
        tmp3 = v[1];
        z1 = tmp0 + tmp3;
        z2 = tmp1 + tmp2;
        z3 = tmp0 + tmp2;
        long z4 = tmp1 + tmp3;
        long z5 = (z3 + z4) * 9633; // FIX_1_175875602
        tmp0 *= 2446; // FIX_0_298631336
        tmp1 *= 16819; // FIX_2_053119869
        tmp2 *= 25172; // FIX_3_072711026
        tmp3 *= 12299; // FIX_1_501321110
        z1 *= -7373; // FIX_0_899976223
        z2 *= -20995; // FIX_2_562915447
        z3 *= -16069; // FIX_1_961570560
        z4 *= -3196; // FIX_0_390180644
        z3 += z5;
        z4 += z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
        long round = 1L << (shift - 1);
        out[0] = (tmp10 + tmp3 + round) >> shift;
        out[7] = (tmp10 - tmp3 + round) >> shift;
        out[1] = (tmp11 + tmp2 + round) >> shift;
        out[6] = (tmp11 - tmp2 + round) >> shift;
        out[2] = (tmp12 + tmp1 + round) >> shift;
        out[5] = (tmp12 - tmp1 + round) >> shift;
        out[3] = (tmp13 + tmp0 + round) >> shift;
        out[4] = (tmp13 - tmp0 + round) >> shift;
    }

    private int u8(int at) {
        return in[at] & 0xFF;
    }

    private int u16(int at) {
        return (u8(at) << 8) | u8(at + 1);
    }

    DecodeException corrupt(String problem) {
        return new DecodeException(Reason.CORRUPT, what + " (JPEG extended) " + problem);
    }

    /** The entropy-coded bits: stuffed zero bytes removed, stopping at any marker. */
    private final class BitReader extends CodedBits {
        private int at;

        BitReader(int at) {
            this.at = at;
        }

        /** T.81 F.2.2.1 RECEIVE then EXTEND: {@code size} bits as a signed value. */
        int receiveExtend(int size) throws DecodeException {
            if (size == 0) {
                return 0;
            }
            int value = bits(size);
            return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
        }

        @Override
        protected boolean fill() {
            if (at >= end) {
                return false;
            }
            int b = in[at] & 0xFF;
            if (b == 0xFF) {
                int next = at + 1;
                while (next < end && (in[next] & 0xFF) == 0xFF) {
                    next++;
                }
                if (next >= end || in[next] != 0) {
                    return false; // a marker
                }
                at = next + 1;
            } else {
                at++;
            }
            load(b, 8);
            return true;
        }

        @Override
        protected DecodeException exhausted() {
            return at >= end
                    ? corrupt("runs out of coded data")
                    : corrupt("has a marker inside its coded data, before the last block");
        }

        /** Drops the bits left in the byte and reads restart marker {@code number} (0-7). */
        void restart(int number) throws DecodeException {
            // At most 7 padding bits end an interval; a whole unread byte (taken by a lookahead
            // peek) is data where the marker must be.
            if (unreadBits() >= 8) {
                throw corrupt("lacks restart marker " + number);
            }
            dropRemainingBits();
            if (at >= end || (in[at] & 0xFF) != 0xFF) {
                throw corrupt("lacks restart marker " + number);
            }
            while (at < end && (in[at] & 0xFF) == 0xFF) {
                at++;
            }
            if (at >= end || (in[at] & 0xFF) != 0xD0 + number) {
                throw corrupt("lacks restart marker " + number);
            }
            at++;
        }
    }
}
