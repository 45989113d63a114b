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
        int[] offsets = segmentStarts(in, from, length, bytesPerSample, "bits allocated");
        int segments = offsets.length - 1;
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
        int produced = 0;
        int at = from;
        int write = outAt;
        while (at < to && produced < count) {
            int n = in[at++];
            if (n >= 0) {
                int copy = Math.min(n + 1, Math.min(to - at, count - produced));
                for (int i = 0; i < copy; i++) {
                    out[write] = in[at++];
                    write += stride;
                }
                produced += copy;
            } else if (n != -128) {
                if (at >= to) {
                    break;
                }
                byte value = in[at++];
                int repeat = Math.min(1 - n, count - produced);
                for (int i = 0; i < repeat; i++) {
                    out[write] = value;
                    write += stride;
                }
                produced += repeat;
            }
        }
        return produced;
    }

    /**
     * The segments' offsets from the header of the frame {@code in[from, from + length)}, then the
     * frame's length: {@code expected} segments (what its {@code what} need), each starting after
     * the header, within the frame and not before the previous one.
     */
    private static int[] segmentStarts(byte[] in, int from, int length, int expected, String what)
            throws DecodeException {
        if (length < HEADER) {
            throw new DecodeException(Reason.CORRUPT, "RLE frame is shorter than its header");
        }
        ByteBuffer header = ByteBuffer.wrap(in, from, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        int segments = header.getInt(from);
        if (segments != expected || segments > MAX_SEGMENTS) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "RLE frame has "
                            + Integer.toUnsignedString(segments)
                            + " segments; "
                            + expected
                            + " expected for its "
                            + what);
        }
        int[] starts = new int[segments + 1];
        for (int s = 0; s < segments; s++) {
            starts[s] = header.getInt(from + 4 + 4 * s);
            if (starts[s] < HEADER || starts[s] > length || (s > 0 && starts[s] < starts[s - 1])) {
                throw new DecodeException(
                        Reason.CORRUPT, "RLE segment " + s + " has an invalid offset");
            }
        }
        starts[segments] = length;
        return starts;
    }

    /**
     * An RLE frame {@code in[from, to)} rebuilt from its decoded bytes: each of its {@code
     * segments} segments decoded to {@code count} bytes and PackBits-encoded again, the header
     * giving their offsets, unused offsets zero, each segment padded to an even length with a zero.
     * Nothing but the samples survives: not bytes between the header and the first segment, after a
     * segment's data or after the last one, nor the unread tail of a run that declares more bytes
     * than its segment needs (where a writer could leave text). Null when the frame is already
     * exactly that.
     *
     * @throws DecodeException {@code CORRUPT} for a header the decoder would refuse (another
     *     segment count, offsets out of order or outside the frame), {@code TRUNCATED} for a
     *     segment that decodes to fewer bytes: refused here, so such a frame never leaves
     *     de-identification with its bytes as they were
     */
    static byte[] withoutUnusedBytes(byte[] in, int from, int to, int segments, int count)
            throws DecodeException {
        int length = to - from;
        int[] starts = segmentStarts(in, from, length, segments, "samples and bits allocated");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(length);
        out.writeBytes(new byte[HEADER]);
        ByteBuffer offsets = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        offsets.putInt(segments);
        byte[] plane = new byte[count];
        for (int s = 0; s < segments; s++) {
            int produced =
                    unpackBits(in, from + starts[s], from + starts[s + 1], plane, 0, 1, count);
            if (produced < count) {
                throw new DecodeException(
                        Reason.TRUNCATED,
                        "RLE segment " + s + " decodes to " + produced + " of " + count + " bytes");
            }
            offsets.putInt(4 + 4 * s, out.size());
            packBits(plane, out);
            if ((out.size() & 1) == 1) {
                out.write(0);
            }
        }
        byte[] rebuilt = out.toByteArray();
        System.arraycopy(offsets.array(), 0, rebuilt, 0, HEADER);
        int padding = length - rebuilt.length;
        boolean same =
                (padding == 0 || (padding == 1 && in[to - 1] == 0))
                        && java.util.Arrays.equals(
                                in, from, from + rebuilt.length, rebuilt, 0, rebuilt.length);
        return same ? null : rebuilt;
    }

    /**
     * PackBits (PS3.5 G.3.1): a run of 3 to 128 equal bytes as -(n - 1) and the byte, anything else
     * as literals of up to 128 bytes, n - 1 and the bytes.
     */
    static void packBits(byte[] data, java.io.ByteArrayOutputStream out) {
        int at = 0;
        while (at < data.length) {
            int run = 1;
            while (at + run < data.length && run < 128 && data[at + run] == data[at]) {
                run++;
            }
            if (run >= 3) {
                out.write(1 - run);
                out.write(data[at]);
                at += run;
                continue;
            }
            int end = at;
            while (end < data.length
                    && end - at < 128
                    && !(end + 2 < data.length
                            && data[end] == data[end + 1]
                            && data[end] == data[end + 2])) {
                end++;
            }
            out.write(end - at - 1);
            out.write(data, at, end - at);
            at = end;
        }
    }
}
