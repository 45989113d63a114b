package org.imagestream.decode;

import java.nio.ByteBuffer;
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
    private UnusedPixelBits() {}

    /**
     * The value {@code file[from, to)} of a native Pixel Data element with every sample's bits
     * outside {@code [highBit - bitsStored + 1, highBit]} cleared; the bytes as they are when the
     * layout is not one that has unused bits (or not a consistent one: the decoder refuses it).
     *
     * @param order the data set's byte order
     */
    static byte[] cleared(
            byte[] file,
            int from,
            int to,
            ByteOrder order,
            int bitsAllocated,
            int bitsStored,
            int highBit) {
        byte[] value = Arrays.copyOfRange(file, from, to);
        boolean consistent =
                (bitsAllocated == 8 || bitsAllocated == 16 || bitsAllocated == 32)
                        && bitsStored >= 1
                        && bitsStored < bitsAllocated
                        && highBit < bitsAllocated
                        && highBit + 1 >= bitsStored;
        if (!consistent) {
            return value;
        }
        long mask = ((1L << bitsStored) - 1) << (highBit - bitsStored + 1);
        ByteBuffer samples = ByteBuffer.wrap(value).order(order);
        int bytes = bitsAllocated / 8;
        int whole = value.length - value.length % bytes;
        for (int at = 0; at < whole; at += bytes) {
            switch (bytes) {
                case 1 -> value[at] = (byte) (value[at] & mask);
                case 2 -> samples.putShort(at, (short) (samples.getShort(at) & mask));
                default -> samples.putInt(at, (int) (samples.getInt(at) & mask));
            }
        }
        // A padding byte after the last whole sample (odd-length OB) carries no pixel.
        Arrays.fill(value, whole, value.length, (byte) 0);
        return value;
    }
}
