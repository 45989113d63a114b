package org.imagestream.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Native DICOM pixel data with the bits outside Bits Stored cleared. Older writers put overlays
 * (PS3.3 C.9.2: an overlay's bit position in the pixel words) in the unused high bits of each
 * sample, and an overlay may carry text (a name, a date) that removing the 60xx group does not
 * remove from the pixels; decoders, this one and DCMTK alike, mask those bits away, so clearing
 * them changes no rendered value.
 */
final class UnusedPixelBits {
    /**
     * Eight bytes of a byte array as one long (the byte order only has to be the same both ways).
     */
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private UnusedPixelBits() {}

    /**
     * Copies the value {@code file[from, to)} of a native Pixel Data element to {@code out[outAt,
     * outAt + to - from)} with every sample's bits outside {@code [highBit - bitsStored + 1,
     * highBit]} cleared; copies the bytes as they are when the layout is not one that has unused
     * bits (or not a consistent one: the decoder refuses it). Written straight into the caller's
     * output, so a slice's pixel data is read once and written once.
     *
     * @param order the data set's byte order
     */
    static void copyCleared(
            byte[] file,
            int from,
            int to,
            byte[] out,
            int outAt,
            ByteOrder order,
            int bitsAllocated,
            int bitsStored,
            int highBit) {
        int length = to - from;
        boolean consistent =
                (bitsAllocated == 8 || bitsAllocated == 16 || bitsAllocated == 32)
                        && bitsStored >= 1
                        && bitsStored < bitsAllocated
                        && highBit < bitsAllocated
                        && highBit + 1 >= bitsStored;
        if (!consistent) {
            System.arraycopy(file, from, out, outAt, length);
            return;
        }
        long mask = ((1L << bitsStored) - 1) << (highBit - bitsStored + 1);
        int bytes = bitsAllocated / 8;
        // The mask of each byte of eight, in the data set's byte order: a sample of 1, 2 or 4
        // bytes divides eight, so the same eight-byte pattern repeats over the whole value,
        // which is then copied and masked in one pass, eight bytes at a time.
        byte[] pattern = new byte[Long.BYTES];
        for (int at = 0; at < pattern.length; at++) {
            int inSample = at % bytes;
            int shift = 8 * (order == ByteOrder.LITTLE_ENDIAN ? inSample : bytes - 1 - inSample);
            pattern[at] = (byte) (mask >>> shift);
        }
        long wide = (long) LONGS.get(pattern, 0);
        int whole = length - length % bytes;
        int at = 0;
        for (; at <= whole - Long.BYTES; at += Long.BYTES) {
            LONGS.set(out, outAt + at, (long) LONGS.get(file, from + at) & wide);
        }
        for (; at < whole; at++) {
            out[outAt + at] = (byte) (file[from + at] & pattern[at % Long.BYTES]);
        }
        // A padding byte after the last whole sample (odd-length OB) carries no pixel: zero.
        Arrays.fill(out, outAt + whole, outAt + length, (byte) 0);
    }
}
