package org.imagestream.decode;

/**
 * The entropy-coded data of a JPEG or JPEG-LS scan, read most significant bit first, for the
 * hand-written codecs. The two standards stuff bytes after an FF differently, so each codec takes
 * the next byte itself ({@link #fill}) and {@link #load}s its data bits. Bytes are taken as the
 * bits asked for need them; only {@link #peek} looks further, and it stops quietly at a marker or
 * the end, so a reader meets those exactly where a bit-by-bit reader would.
 */
abstract class CodedBits {
    /** Unread data bits, in the low {@link #count} bits. */
    private long buffer;

    private int count;

    /**
     * Takes the next byte of coded data and {@link #load}s it; returns false, taking nothing, at a
     * marker or the end of the data.
     */
    protected abstract boolean fill();

    /** Why the data ran out where bits were needed: the marker or the end {@link #fill} met. */
    protected abstract DecodeException exhausted();

    /** Appends the low {@code bits} bits of {@code value} to the unread data. */
    protected final void load(int value, int bits) {
        buffer = (buffer << bits) | (value & ((1 << bits) - 1));
        count += bits;
    }

    /** Data bits taken from the bytes and not read yet. */
    protected final int unreadBits() {
        return count;
    }

    /** Drops the data bits already taken (the padding before a restart marker). */
    protected final void dropRemainingBits() {
        count = 0;
        buffer = 0;
    }

    private void need(int bits) throws DecodeException {
        while (count < bits) {
            if (!fill()) {
                throw exhausted();
            }
        }
    }

    final int bit() throws DecodeException {
        if (count == 0) {
            need(1);
        }
        count--;
        return (int) (buffer >>> count) & 1;
    }

    /** {@code size} bits (at most 31) as an unsigned value. */
    final int bits(int size) throws DecodeException {
        need(size);
        count -= size;
        return (int) (buffer >>> count) & (int) ((1L << size) - 1);
    }

    /**
     * The next {@code size} bits (at most 31) without taking them, or -1 if the data ends first.
     */
    final int peek(int size) {
        while (count < size) {
            if (!fill()) {
                return -1;
            }
        }
        return (int) (buffer >>> (count - size)) & (int) ((1L << size) - 1);
    }

    /** Takes {@code size} bits a {@link #peek} returned. */
    final void skip(int size) {
        count -= size;
    }

    /**
     * The number of 0 bits before the next 1 bit, which is taken too; -1 once more than {@code
     * most} zeros have been read.
     */
    final int zerosBeforeOne(int most) throws DecodeException {
        int zeros = 0;
        while (true) {
            if (count == 0) {
                need(1);
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
