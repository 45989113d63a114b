package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.imagestream.decode.DecodeException.Reason;

/**
 * DICOM RLE Lossless (PS3.5 Annex G), one frame: a 64-byte header (segment count, then up to 15
 * segment offsets from the header's start), then PackBits segments, one per byte plane: for each
 * sample, its most significant byte first. Decoded into native little-endian samples.
 *
 * <p>Hand-written because no maintained Java library on Maven Central decodes it alone; tested
 * against DCMTK's dcmcrle/dcmdrle and pydicom's RLE files. Output never exceeds the frame size the
 * header declared: a segment that would run longer is cut there.
 */
final class RleLossless {
    private static final int HEADER = 64;
    private static final int MAX_SEGMENTS = 15;

    private RleLossless() {}

    /**
     * Decodes one frame into {@code out} at {@code outAt}: {@code pixels} samples of {@code
     * bytesPerSample} bytes each, little endian (single-sample images only).
     */
    static void decodeFrame(
            byte[] in, int from, int length, int pixels, int bytesPerSample, byte[] out, int outAt)
            throws DecodeException {
        if (length < HEADER) {
            throw new DecodeException(Reason.CORRUPT, "RLE frame is shorter than its header");
        }
        ByteBuffer header = ByteBuffer.wrap(in, from, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        int segments = header.getInt(from);
        if (segments != bytesPerSample || segments > MAX_SEGMENTS) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "RLE frame has "
                            + Integer.toUnsignedString(segments)
                            + " segments; "
                            + bytesPerSample
                            + " expected for its bits allocated");
        }
        int[] offsets = new int[segments + 1];
        for (int s = 0; s < segments; s++) {
            offsets[s] = header.getInt(from + 4 + 4 * s);
            if (offsets[s] < HEADER
                    || offsets[s] > length
                    || (s > 0 && offsets[s] < offsets[s - 1])) {
                throw new DecodeException(
                        Reason.CORRUPT, "RLE segment " + s + " has an invalid offset");
            }
        }
        offsets[segments] = length;
        for (int s = 0; s < segments; s++) {
            // Segment 0 holds the most significant bytes: little endian puts them last.
            int plane = bytesPerSample - 1 - s;
            int produced =
                    unpackBits(
                            in,
                            from + offsets[s],
                            from + offsets[s + 1],
                            out,
                            outAt + plane,
                            bytesPerSample,
                            pixels);
            if (produced < pixels) {
                throw new DecodeException(
                        Reason.TRUNCATED,
                        "RLE segment "
                                + s
                                + " decodes to "
                                + produced
                                + " of "
                                + pixels
                                + " bytes");
            }
        }
    }

    /**
     * PackBits: a header byte n of 0..127 copies the next n + 1 bytes, -1..-127 repeats the next
     * byte 1 - n times, -128 is a no-op. Writes every {@code stride}-th byte of {@code out} from
     * {@code outAt}, at most {@code count} of them; returns how many it wrote.
     */
    static int unpackBits(
            byte[] in, int from, int to, byte[] out, int outAt, int stride, int count) {
        return (int) unpack(in, from, to, out, outAt, stride, count);
    }

    /**
     * The bytes of a PackBits segment {@code in[from, to)} that decoding {@code count} bytes reads:
     * what follows them is never decoded.
     */
    static int packedLength(byte[] in, int from, int to, int count) {
        return (int) (unpack(in, from, to, null, 0, 0, count) >>> 32) - from;
    }

    /** Decodes into {@code out} (null: counts only); returns the input end << 32 | produced. */
    private static long unpack(
            byte[] in, int from, int to, byte[] out, int outAt, int stride, int count) {
        int produced = 0;
        int at = from;
        int write = outAt;
        while (at < to && produced < count) {
            int n = in[at++];
            if (n >= 0) {
                // A literal run is read whole, even where the frame's last bytes end inside it.
                int take = Math.min(n + 1, to - at);
                int copy = Math.min(take, count - produced);
                for (int i = 0; out != null && i < copy; i++) {
                    out[write] = in[at + i];
                    write += stride;
                }
                at += take;
                produced += copy;
            } else if (n != -128) {
                if (at >= to) {
                    break;
                }
                byte value = in[at++];
                int repeat = Math.min(1 - n, count - produced);
                for (int i = 0; out != null && i < repeat; i++) {
                    out[write] = value;
                    write += stride;
                }
                produced += repeat;
            }
        }
        return (long) at << 32 | produced;
    }

    /**
     * An RLE frame {@code in[from, to)} rebuilt from what decoding reads: its header with
     * contiguous offsets (unused ones zero), then each segment cut after the PackBits bytes that
     * make its {@code count} bytes, so bytes between the header and the first segment, after a
     * segment's data or after the last one (where a writer could leave text) are gone. Null when
     * the frame is already just that; the frame unchanged when its header is unusable (the decoder
     * refuses it).
     */
    static byte[] withoutUnusedBytes(byte[] in, int from, int to, int count) {
        int length = to - from;
        if (length < HEADER) {
            return null;
        }
        ByteBuffer header = ByteBuffer.wrap(in, from, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        int segments = header.getInt(from);
        if (segments < 1 || segments > MAX_SEGMENTS) {
            return null;
        }
        int[] starts = new int[segments + 1];
        for (int s = 0; s < segments; s++) {
            starts[s] = header.getInt(from + 4 + 4 * s);
            if (starts[s] < HEADER || starts[s] > length || (s > 0 && starts[s] < starts[s - 1])) {
                return null;
            }
        }
        starts[segments] = length;
        ByteBuffer out = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(segments);
        out.position(HEADER);
        for (int s = 0; s < segments; s++) {
            out.putInt(4 + 4 * s, out.position());
            int used = packedLength(in, from + starts[s], from + starts[s + 1], count);
            out.put(in, from + starts[s], used);
        }
        byte[] rebuilt = java.util.Arrays.copyOf(out.array(), out.position());
        return java.util.Arrays.equals(in, from, from + rebuilt.length, rebuilt, 0, rebuilt.length)
                        && onlyPadding(in, from + rebuilt.length, to)
                ? null
                : rebuilt;
    }

    /** At most one trailing byte, zero: the even-length padding of an item. */
    private static boolean onlyPadding(byte[] in, int from, int to) {
        return to - from == 0 || (to - from == 1 && in[from] == 0);
    }
}
