package org.imagestream.decode;

import org.imagestream.decode.DecodeException.Reason;

/**
 * JPEG-LS (ITU-T T.87), lossless and near-lossless, one component: DICOM's JPEG-LS transfer
 * syntaxes (1.2.840.10008.1.2.4.80 and .81). The decoding process of T.87 Annex A: gradients
 * quantised into 365 contexts, median edge prediction corrected by each context's bias, limited
 * length Golomb codes, run mode with its interruption contexts; default or LSE-given thresholds.
 *
 * <p>Hand-written because no Java JPEG-LS codec is on Maven Central; checked against DCMTK's
 * dcmdjpls (CharLS) on files DCMTK's dcmcjpls and pydicom's authors wrote. Not decoded, refused by
 * name: restart intervals, mapping tables and point transforms, which DICOM encoders do not write.
 * Hostile input: every segment length and parameter is checked against T.87's ranges, a run or code
 * longer than the line or LIMIT allows, or a marker inside the coded data, is {@code CORRUPT}, and
 * the deadline is checked every line.
 */
final class JpegLs {
    /** Run-length order J[RUNindex] (T.87 A.7.1.2). */
    private static final int[] J = {
        0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12,
        13, 14, 15
    };

    private static final int REGULAR_CONTEXTS = 365;
    private static final int MIN_C = -128;
    private static final int MAX_C = 127;

    private final byte[] in;
    private final int end;
    private final String what;
    private final boolean lossless;
    private int precision;
    private int width;
    private int height;
    private int componentId = -1;

    private JpegLsParameters.Preset preset = JpegLsParameters.Preset.NONE;

    /** The scan's coding parameters. */
    private JpegLsParameters coding;

    // Context variables: 365 regular contexts, then the two run interruption contexts.
    private final int[] a = new int[REGULAR_CONTEXTS + 2];
    private final int[] b = new int[REGULAR_CONTEXTS];
    private final int[] c = new int[REGULAR_CONTEXTS];
    private final int[] n = new int[REGULAR_CONTEXTS + 2];
    private final int[] negativeInterruptions = new int[2];
    private int runIndex;
    private BitReader bits;

    private JpegLs(byte[] in, int end, String what, boolean lossless) {
        this.in = in;
        this.end = end;
        this.what = what;
        this.lossless = lossless;
    }

    /** As {@link #decodeFrame}, for the lossless syntax: a scan with NEAR above 0 is refused. */
    static void decodeLosslessFrame(byte[] in, int from, int to, NativeFrame frame)
            throws DecodeException {
        decode(in, from, to, frame, true);
    }

    /**
     * Decodes the codestream in {@code in[from, to)} into {@code frame}, which must be the size the
     * codestream declares; one component.
     */
    static void decodeFrame(byte[] in, int from, int to, NativeFrame frame) throws DecodeException {
        decode(in, from, to, frame, false);
    }

    private static void decode(byte[] in, int from, int to, NativeFrame frame, boolean lossless)
            throws DecodeException {
        JpegLs jpeg = new JpegLs(in, to, frame.what(), lossless);
        int scanAt = JpegSegments.toFirstScan(in, from, to, jpeg::readSegment, jpeg::corrupt);
        if (jpeg.componentId < 0) {
            throw jpeg.corrupt("has a scan before its frame header");
        }
        frame.requireFits(jpeg.width, jpeg.height, jpeg.precision, jpeg::corrupt);
        jpeg.readScanHeader(scanAt);
        jpeg.decodeLines(frame);
    }

    private void readSegment(int marker, int body, int bodyEnd) throws DecodeException {
        switch (marker) {
            case 0xF7 -> readFrame(body, bodyEnd);
            case 0xF8 -> readPreset(body, bodyEnd);
            case 0xDD -> {
                // JPEG-LS lets the interval take 2, 3 or 4 bytes.
                if (bodyEnd - body < 2 || bodyEnd - body > 4) {
                    throw corrupt("has a restart interval segment of the wrong length");
                }
                for (int at = body; at < bodyEnd; at++) {
                    if (in[at] != 0) {
                        throw unsupported("restart intervals");
                    }
                }
            }
            case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF ->
                    throw new DecodeException(
                            Reason.UNSUPPORTED_FORMAT,
                            what
                                    + " is a JPEG of start-of-frame type "
                                    + Integer.toHexString(0xFF00 | marker)
                                    + ", not JPEG-LS");
            default -> {
                // APPn, COM and others carry nothing the samples depend on.
            }
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
        if (precision < 2 || precision > 16) {
            throw corrupt("declares " + precision + "-bit samples (2 to 16 in JPEG-LS)");
        }
        componentId = frame.componentId();
    }

    /** LSE (T.87 C.2.4.1): only preset coding parameters; mapping tables are refused. */
    private void readPreset(int at, int to) throws DecodeException {
        if (to - at < 1) {
            throw corrupt("has an empty LSE segment");
        }
        if (u8(at) != 1) {
            throw unsupported(
                    "LSE segments of type "
                            + u8(at)
                            + (u8(at) == 4 ? " (oversize dimensions)" : " (mapping tables)"));
        }
        if (to - at != 11) {
            throw corrupt("has a preset parameter segment of the wrong length");
        }
        preset =
                new JpegLsParameters.Preset(
                        u16(at + 1), u16(at + 3), u16(at + 5), u16(at + 7), u16(at + 9));
    }

    private void readScanHeader(int at) throws DecodeException {
        int length = u16(at);
        if (length != 8 || u8(at + 2) != 1 || u8(at + 3) != componentId) {
            throw corrupt("has a scan that is not of its one component");
        }
        if (u8(at + 4) != 0) {
            throw unsupported("mapping tables");
        }
        int near = u8(at + 5);
        if (lossless && near != 0) {
            throw corrupt(
                    "is near-lossless (NEAR " + near + ") under the lossless transfer syntax");
        }
        // at + 6: interleave mode, meaningless with one component.
        if (u8(at + 7) != 0) {
            throw unsupported("point transforms");
        }
        coding = JpegLsParameters.of(precision, preset, near, this::corrupt);
        int initialA = Math.max(2, (coding.range() + 32) / 64);
        java.util.Arrays.fill(a, initialA);
        java.util.Arrays.fill(n, 1);
        bits = new BitReader(at + length);
    }

    /**
     * Line by line (T.87 A.2-A.7). Each line array holds the line's samples at 1..width, with the
     * neighbours T.87 defines outside it: index 0 is the sample above the first (Ra of the first
     * sample, and Rc of the next line's), index width + 1 repeats the last (Rd of the last).
     */
    private void decodeLines(NativeFrame frame) throws DecodeException {
        int[] previous = new int[width + 2];
        int[] current = new int[width + 2];
        for (int y = 0; y < height; y++) {
            frame.deadline().check(what);
            previous[width + 1] = previous[width];
            current[0] = previous[1];
            decodeLine(previous, current);
            frame.putRow(0, y, current, 1, width);
            int[] swap = previous;
            previous = current;
            current = swap;
        }
    }

    private void decodeLine(int[] previous, int[] current) throws DecodeException {
        int x = 0; // sample index; the arrays hold sample x at x + 1
        int rb = previous[0];
        int rd = previous[1];
        while (x < width) {
            int ra = current[x];
            int rc = rb;
            rb = rd;
            rd = previous[x + 2];
            int context = (quantize(rd - rb) * 9 + quantize(rb - rc)) * 9 + quantize(rc - ra);
            if (context != 0) {
                current[x + 1] = decodeRegular(context, predict(ra, rb, rc));
                x++;
            } else {
                x += decodeRun(x, previous, current);
                rb = previous[x];
                rd = previous[x + 1];
            }
        }
    }

    private int quantize(int d) {
        if (d <= -coding.t3()) {
            return -4;
        }
        if (d <= -coding.t2()) {
            return -3;
        }
        if (d <= -coding.t1()) {
            return -2;
        }
        if (d < -coding.near()) {
            return -1;
        }
        if (d <= coding.near()) {
            return 0;
        }
        if (d < coding.t1()) {
            return 1;
        }
        if (d < coding.t2()) {
            return 2;
        }
        if (d < coding.t3()) {
            return 3;
        }
        return 4;
    }

    /** The median edge detector (T.87 A.4.1). */
    private static int predict(int ra, int rb, int rc) {
        if (rc >= Math.max(ra, rb)) {
            return Math.min(ra, rb);
        }
        if (rc <= Math.min(ra, rb)) {
            return Math.max(ra, rb);
        }
        return ra + rb - rc;
    }

    /** Regular mode (T.87 A.4-A.6). */
    private int decodeRegular(int signedContext, int prediction) throws DecodeException {
        int sign = signedContext < 0 ? -1 : 1;
        int q = signedContext * sign;
        int k = 0;
        while ((n[q] << k) < a[q] && k < 24) {
            k++;
        }
        int corrected = clamp(prediction + sign * c[q]);
        int mapped = decodeValue(k, coding.limit());
        int error = (mapped >> 1) ^ -(mapped & 1); // even: m/2, odd: -(m+1)/2
        if (k == 0 && coding.near() == 0 && 2 * b[q] + n[q] - 1 < 0) {
            error = -error - 1; // the mapping T.87 A.5.2 uses for such contexts
        }
        updateRegular(q, error);
        return reconstruct(corrected, sign * error);
    }

    private void updateRegular(int q, int error) {
        int newA = a[q] + Math.abs(error);
        int newB = b[q] + error * (2 * coding.near() + 1);
        int newN = n[q];
        if (newN == coding.reset()) {
            newA >>= 1;
            newB >>= 1;
            newN >>= 1;
        }
        newN++;
        a[q] = newA;
        n[q] = newN;
        if (newB + newN <= 0) {
            newB += newN;
            if (newB <= -newN) {
                newB = -newN + 1;
            }
            if (c[q] > MIN_C) {
                c[q]--;
            }
        } else if (newB > 0) {
            newB -= newN;
            if (newB > 0) {
                newB = 0;
            }
            if (c[q] < MAX_C) {
                c[q]++;
            }
        }
        b[q] = newB;
    }

    /**
     * Run mode from sample {@code x} (T.87 A.7): runs of Ra to the end of the line or to an
     * interruption sample; returns how many samples it decoded.
     */
    private int decodeRun(int x, int[] previous, int[] current) throws DecodeException {
        int ra = current[x];
        int remaining = width - x;
        int count = 0;
        while (bits.bit() == 1) {
            int segment = Math.min(1 << J[runIndex], remaining - count);
            count += segment;
            if (segment == 1 << J[runIndex]) {
                runIndex = Math.min(31, runIndex + 1);
            }
            if (count == remaining) {
                break;
            }
        }
        if (count != remaining && J[runIndex] > 0) {
            count += bits.bits(J[runIndex]);
        }
        if (count > remaining) {
            throw corrupt("has a run past the end of its line");
        }
        for (int i = 1; i <= count; i++) {
            current[x + i] = ra;
        }
        int stop = x + count;
        if (stop == width) {
            return count;
        }
        int rb = previous[stop + 1];
        current[stop + 1] =
                Math.abs(ra - rb) <= coding.near()
                        ? reconstruct(ra, decodeInterruption(1))
                        : reconstruct(rb, decodeInterruption(0) * (rb - ra < 0 ? -1 : 1));
        runIndex = Math.max(0, runIndex - 1);
        return count + 1;
    }

    /** The error of a run interruption sample of type {@code type} (T.87 A.7.2). */
    private int decodeInterruption(int type) throws DecodeException {
        int context = REGULAR_CONTEXTS + type;
        int temp = a[context] + (n[context] >> 1) * type;
        int k = 0;
        for (long test = n[context]; test < temp && k < 24; test <<= 1) {
            k++;
        }
        int mapped = decodeValue(k, coding.limit() - J[runIndex] - 1);
        int t = mapped + type;
        boolean odd = (t & 1) != 0;
        int magnitude = (t + (odd ? 1 : 0)) / 2;
        int error =
                ((k != 0 || 2 * negativeInterruptions[type] >= n[context]) == odd)
                        ? -magnitude
                        : magnitude;
        if (error < 0) {
            negativeInterruptions[type]++;
        }
        a[context] += (mapped + 1 - type) >> 1;
        if (n[context] == coding.reset()) {
            a[context] >>= 1;
            n[context] >>= 1;
            negativeInterruptions[type] >>= 1;
        }
        n[context]++;
        return error;
    }

    /** A limited-length Golomb code (T.87 A.5.3). */
    private int decodeValue(int k, int codeLimit) throws DecodeException {
        int escape = codeLimit - coding.qbpp() - 1;
        int high = bits.zerosBeforeOne(escape);
        if (high < 0) {
            throw corrupt("has a code longer than its LIMIT");
        }
        if (high == escape) {
            return bits.bits(coding.qbpp()) + 1;
        }
        return k == 0 ? high : (high << k) + bits.bits(k);
    }

    /** Rx from a prediction and an error (T.87 A.4.4 and A.5.1's modulo reduction undone). */
    private int reconstruct(int prediction, int error) {
        int value = prediction + error * (2 * coding.near() + 1);
        if (value < -coding.near()) {
            value += coding.range() * (2 * coding.near() + 1);
        } else if (value > coding.maxValue() + coding.near()) {
            value -= coding.range() * (2 * coding.near() + 1);
        }
        return clamp(value);
    }

    private int clamp(int value) {
        return Math.max(0, Math.min(coding.maxValue(), value));
    }

    private int u8(int at) {
        return in[at] & 0xFF;
    }

    private int u16(int at) {
        return (u8(at) << 8) | u8(at + 1);
    }

    DecodeException corrupt(String problem) {
        return new DecodeException(Reason.CORRUPT, what + " (JPEG-LS) " + problem);
    }

    private DecodeException unsupported(String feature) {
        return new DecodeException(
                Reason.UNSUPPORTED_FORMAT, what + " uses JPEG-LS " + feature + ", not decoded");
    }

    /**
     * The coded bits: after an FF byte, the next byte's top bit is a stuffed 0 (T.87 A.1); an FF
     * followed by a byte with its top bit set is a marker, which the data may not reach.
     */
    private final class BitReader extends CodedBits {
        private int at;
        private boolean afterFf;

        BitReader(int at) {
            this.at = at;
        }

        @Override
        protected boolean fill() {
            if (at >= end || (afterFf && (in[at] & 0xFF) >= 0x80)) {
                return false; // the end, or a marker
            }
            int next = in[at++] & 0xFF;
            load(next, afterFf ? 7 : 8);
            afterFf = next == 0xFF;
            return true;
        }

        @Override
        protected DecodeException exhausted() {
            return at >= end
                    ? corrupt("runs out of coded data")
                    : corrupt("has a marker inside its coded data, before the last line");
        }
    }
}
