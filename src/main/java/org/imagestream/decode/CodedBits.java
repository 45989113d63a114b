package org.imagestream.decode;

/**
 * The entropy-coded data of a JPEG or JPEG-LS scan, read most significant bit first, for the
 * hand-written codecs. The two standards stuff bytes after an FF differently, so each codec reads
 * the next byte itself ({@link #fill}) and {@link #load}s its data bits.
 */
abstract class CodedBits {
    private int buffer;
    private int count;

    /**
     * Reads the next byte of coded data and {@link #load}s it, or throws at a marker or the end.
     */
    protected abstract void fill() throws DecodeException;

    /** The next {@code bits} low bits of {@code value} are the data to read. */
    protected final void load(int value, int bits) {
        buffer = value;
        count = bits;
    }

    /** Drops the data bits the current byte still holds (before a restart marker). */
    protected final void dropRemainingBits() {
        count = 0;
    }

    final int bit() throws DecodeException {
        if (count == 0) {
            fill();
        }
        count--;
        return (buffer >>> count) & 1;
    }

    /** {@code size} bits (at most 31) as an unsigned value. */
    final int bits(int size) throws DecodeException {
        int value = 0;
        for (int i = 0; i < size; i++) {
            value = (value << 1) | bit();
        }
        return value;
    }
}
