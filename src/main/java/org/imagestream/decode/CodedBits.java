package org.imagestream.decode;

/**
 * The entropy-coded data of a JPEG or JPEG-LS scan, read most significant bit first, for the
 * hand-written codecs. The two standards stuff bytes after an FF differently, so each codec reads
 * the next byte itself ({@link #fill}) and {@link #load}s its data bits. Bytes are taken only as
 * the bits asked for need them, so a marker or the end of the data is met exactly where a
 * bit-by-bit reader would meet it.
 */
abstract class CodedBits {
    /** Unread data bits, in the low {@link #count} bits. */
    private long buffer;

    private int count;

    /**
     * Reads the next byte of coded data and {@link #load}s it, or throws at a marker or the end.
     */
    protected abstract void fill() throws DecodeException;

    /** Appends the low {@code bits} bits of {@code value} to the unread data. */
    protected final void load(int value, int bits) {
        buffer = (buffer << bits) | (value & ((1 << bits) - 1));
        count += bits;
    }

    /** Drops the data bits the current byte still holds (before a restart marker). */
    protected final void dropRemainingBits() {
        count = 0;
        buffer = 0;
    }

    final int bit() throws DecodeException {
        if (count == 0) {
            fill();
        }
        count--;
        return (int) (buffer >>> count) & 1;
    }

    /** {@code size} bits (at most 31) as an unsigned value. */
    final int bits(int size) throws DecodeException {
        while (count < size) {
            fill();
        }
        count -= size;
        return (int) (buffer >>> count) & (int) ((1L << size) - 1);
    }

    /**
     * The number of 0 bits before the next 1 bit, which is consumed too; -1 once more than {@code
     * most} zeros have been read.
     */
    final int zerosBeforeOne(int most) throws DecodeException {
        int zeros = 0;
        while (true) {
            if (count == 0) {
                fill();
            }
            long unread = buffer & ((1L << count) - 1);
            if (unread == 0) {
                zeros += count;
                count = 0;
                if (zeros > most) {
                    return -1;
                }
            } else {
                int leading = Long.numberOfLeadingZeros(unread) - (64 - count);
                zeros += leading;
                count -= leading + 1;
                return zeros > most ? -1 : zeros;
            }
        }
    }
}
