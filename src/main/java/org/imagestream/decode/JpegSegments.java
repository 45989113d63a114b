package org.imagestream.decode;

import java.util.function.Function;

/**
 * The marker segments of a JPEG or JPEG-LS codestream from its start-of-image marker up to its
 * first scan, for the hand-written DICOM codecs ({@link SequentialJpeg}, {@link JpegLs}): fill
 * bytes skipped, markers without a length passed over, every segment's length checked against the
 * codestream before its body is handed on.
 */
final class JpegSegments {
    /** One marker segment's body, {@code in[body, end)}. */
    @FunctionalInterface
    interface Reader {
        void segment(int marker, int body, int end) throws DecodeException;
    }

    /** A start-of-frame segment of one component (T.81 B.2.2, T.87 C.2.2). */
    record Frame(
            int precision, int height, int width, int componentId, int sampling, int quantTable) {}

    private JpegSegments() {}

    /** The frame header in {@code in[at, to)}; anything but one component is refused. */
    static Frame oneComponentFrame(
            byte[] in, int at, int to, Function<String, DecodeException> corrupt)
            throws DecodeException {
        if (to - at < 6) {
            throw corrupt.apply("has a cut frame header");
        }
        int components = in[at + 5] & 0xFF;
        if (components != 1) {
            throw corrupt.apply("declares " + components + " components, the header one");
        }
        if (to - at != 9) {
            throw corrupt.apply("has a frame header of the wrong length");
        }
        return new Frame(
                in[at] & 0xFF,
                (in[at + 1] & 0xFF) << 8 | (in[at + 2] & 0xFF),
                (in[at + 3] & 0xFF) << 8 | (in[at + 4] & 0xFF),
                in[at + 6] & 0xFF,
                in[at + 7] & 0xFF,
                in[at + 8] & 0xFF);
    }

    /**
     * Hands each segment before the first start-of-scan to {@code reader}; returns the offset of
     * the scan header's length field. {@code corrupt} words a problem as the codec reports it.
     */
    static int toFirstScan(
            byte[] in, int from, int end, Reader reader, Function<String, DecodeException> corrupt)
            throws DecodeException {
        if (end - from < 2 || (in[from] & 0xFF) != 0xFF || (in[from + 1] & 0xFF) != 0xD8) {
            throw corrupt.apply("does not start with a JPEG start-of-image marker");
        }
        int at = from + 2;
        while (true) {
            if (at >= end || (in[at] & 0xFF) != 0xFF) {
                throw corrupt.apply("has no marker where one must be (byte " + (at - from) + ")");
            }
            while (at < end && (in[at] & 0xFF) == 0xFF) {
                at++; // fill bytes
            }
            if (at >= end) {
                throw corrupt.apply("ends before its scan");
            }
            int marker = in[at++] & 0xFF;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                continue; // no length: TEM, RSTn, SOI
            }
            if (marker == 0xD9) {
                throw corrupt.apply("ends before its scan");
            }
            if (at + 2 > end) {
                throw corrupt.apply("ends inside a marker segment");
            }
            int length = (in[at] & 0xFF) << 8 | (in[at + 1] & 0xFF);
            if (length < 2 || at + length > end) {
                throw corrupt.apply("has a marker segment running past its end");
            }
            if (marker == 0xDA) {
                return at;
            }
            reader.segment(marker, at + 2, at + length);
            at += length;
        }
    }
}
