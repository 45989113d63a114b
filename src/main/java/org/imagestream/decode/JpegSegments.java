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

    private JpegSegments() {}

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
