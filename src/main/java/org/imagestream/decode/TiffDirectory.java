package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One image file directory (IFD) of a classic TIFF (magic 42: 2-byte entry count, 12-byte entries,
 * 4-byte values and offsets) or a BigTIFF (magic 43: 8-byte count, 20-byte entries, 8-byte values
 * and offsets; TIFF 6.0 section 2 and the BigTIFF design). Read for the tags the decoder needs
 * before or beside TwelveMonkeys' reader: georeferencing, band layout, overview levels. Parsing
 * throws {@link RuntimeException}s (index or argument) on malformed input; callers treat that as
 * "not usable" and never as an error of the image.
 */
final class TiffDirectory {
    static final int NEW_SUBFILE_TYPE = 254;
    static final int IMAGE_WIDTH = 256;
    static final int IMAGE_LENGTH = 257;

    static final int SHORT = 3;
    static final int LONG = 4;
    static final int DOUBLE = 12;
    static final int LONG8 = 16;

    /** Directories followed along the chain at most (a COG has a handful of overview levels). */
    static final int MAX_DIRECTORIES = 64;

    /**
     * Entries of one directory at most (a GeoTIFF has a few dozen; a BigTIFF's 8-byte count could
     * otherwise make a directory of millions): a larger one is not read.
     */
    static final int MAX_ENTRIES = 4096;

    /** One entry: its tag, type, value count and where its values lie in the file. */
    record Entry(int tag, int type, long count, int entryAt, int valuesAt) {}

    /**
     * A TIFF's directories, each read once per decode: the truncation check, the band layout, the
     * georeference and the tile reader's block height take the first from here, the overview choice
     * the rest, which are read only when it asks (a scene that is tiled never needs them).
     */
    static final class Chain {
        private final TiffDirectory first;
        private final String firstMissing;
        private List<TiffDirectory> directories;
        private boolean complete;

        private Chain(TiffDirectory first, String firstMissing) {
            this.first = first;
            this.firstMissing = firstMissing;
        }

        /** The first directory, or null when it cannot be read. */
        TiffDirectory first() {
            return first;
        }

        /**
         * What is missing of the file when its first directory runs past its end (the file is
         * truncated), else null.
         */
        String firstMissing() {
            return firstMissing;
        }

        /**
         * The first directory and those chained after it (at most {@link #MAX_DIRECTORIES}), read
         * on the first call; empty when the first cannot be read.
         */
        List<TiffDirectory> directories() {
            if (directories == null) {
                List<TiffDirectory> chain = new ArrayList<>();
                complete = first != null;
                if (first != null) {
                    chain.add(first);
                    try {
                        chainAfter(first, chain, first.in.capacity());
                    } catch (RuntimeException malformed) {
                        complete = false;
                    }
                }
                directories = List.copyOf(chain);
            }
            return directories;
        }

        /**
         * False when the first directory or one along the chain is malformed or cut short (the
         * chain then ends before it).
         */
        boolean complete() {
            directories();
            return complete;
        }
    }

    /** A directory that runs past the end of the file: cut short, not malformed. */
    static final class PastTheEnd extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        PastTheEnd(String missing) {
            super(missing);
        }
    }

    final ByteBuffer in;
    final boolean big;
    final int offset;
    final long next;
    final Map<Integer, Entry> entries;

    /**
     * Tags whose values lie (partly) past the end of the file: left out of {@link #entries}, and
     * evidence of a truncated file.
     */
    final Set<Integer> pastTheEnd;

    private TiffDirectory(ByteBuffer in, boolean big, int offset) {
        this.in = in;
        this.big = big;
        this.offset = offset;
        long count = big ? in.getLong(offset) : Short.toUnsignedInt(in.getShort(offset));
        int countSize = big ? 8 : 2;
        int entrySize = big ? 20 : 12;
        // Bounded before multiplying: a BigTIFF count near 2^64 must not wrap into range.
        if (count < 0
                || count > in.capacity() / entrySize
                || offset + countSize + count * entrySize + (big ? 8 : 4) > in.capacity()) {
            throw new PastTheEnd("the rest of the IFD at offset " + offset);
        }
        if (count > MAX_ENTRIES) {
            throw new IllegalArgumentException("IFD of " + count + " entries");
        }
        Map<Integer, Entry> read = new LinkedHashMap<>();
        Set<Integer> outside = new HashSet<>();
        for (int e = 0; e < count; e++) {
            int at = offset + countSize + e * entrySize;
            int tag = Short.toUnsignedInt(in.getShort(at));
            int type = Short.toUnsignedInt(in.getShort(at + 2));
            long values = big ? in.getLong(at + 4) : Integer.toUnsignedLong(in.getInt(at + 4));
            int field = at + (big ? 12 : 8);
            if (values < 0 || values > in.capacity() / typeSize(type)) {
                // More values than the file has bytes: ignored like one outside it.
                outside.add(tag);
                continue;
            }
            long size = values * typeSize(type);
            long valuesAt =
                    size <= valueSize() && size >= 0
                            ? field
                            : (big ? in.getLong(field) : Integer.toUnsignedLong(in.getInt(field)));
            if (size < 0 || valuesAt < 0) {
                continue; // malformed: ignored
            }
            if (valuesAt + size > in.capacity()) {
                outside.add(tag); // an entry whose values lie outside the file is ignored
                continue;
            }
            read.putIfAbsent(tag, new Entry(tag, type, values, at, (int) valuesAt));
        }
        this.entries = read;
        this.pastTheEnd = outside;
        int nextAt = offset + countSize + (int) count * entrySize;
        this.next = big ? in.getLong(nextAt) : Integer.toUnsignedLong(in.getInt(nextAt));
    }

    /** The first directory of a classic TIFF or BigTIFF, or null if the bytes are neither. */
    static TiffDirectory first(byte[] tiff) {
        return first(ByteBuffer.wrap(tiff));
    }

    /**
     * As above, on a whole file as a buffer (a byte array's, or a memory-mapped file's: a scene
     * streamed from an object store, never copied into the heap).
     */
    static TiffDirectory first(ByteBuffer tiff) {
        ByteBuffer in = buffer(tiff);
        if (in == null) {
            return null;
        }
        boolean big = in.getShort(2) == 43;
        long first = big ? in.getLong(8) : Integer.toUnsignedLong(in.getInt(4));
        if (first <= 0) {
            throw new IllegalArgumentException("first IFD offset outside the file");
        }
        if (first + (big ? 8 : 2) > in.capacity()) {
            throw new PastTheEnd("its first IFD");
        }
        return new TiffDirectory(in, big, (int) first);
    }

    /**
     * The directories of a classic TIFF or BigTIFF, read once (see {@link Chain}), or null if the
     * bytes are neither.
     */
    static Chain read(ByteBuffer tiff) {
        if (!isTiff(tiff)) {
            return headerCut(tiff) ? new Chain(null, "the rest of its header") : null;
        }
        try {
            return new Chain(first(tiff), null);
        } catch (PastTheEnd e) {
            return new Chain(null, e.getMessage());
        } catch (RuntimeException malformed) {
            return new Chain(null, null);
        }
    }

    /** Adds the directories chained after the last of {@code chain}; throws when one is bad. */
    private static void chainAfter(TiffDirectory directory, List<TiffDirectory> chain, long end) {
        while (chain.size() < MAX_DIRECTORIES) {
            long next = directory.next;
            if (next <= directory.offset || next >= end) {
                return; // end of chain, or a loop back
            }
            directory = new TiffDirectory(directory.in, directory.big, (int) next);
            chain.add(directory);
        }
    }

    /**
     * Whether the bytes are a TIFF or BigTIFF cut inside its header (8 bytes, a BigTIFF's 16): its
     * byte order mark, then its magic number or the end of the file.
     */
    private static boolean headerCut(ByteBuffer tiff) {
        int length = tiff.capacity();
        if (length < 2
                || tiff.get(0) != tiff.get(1)
                || (tiff.get(0) != 'I' && tiff.get(0) != 'M')) {
            return false;
        }
        if (length < 4) {
            return true;
        }
        ByteBuffer in =
                tiff.duplicate()
                        .order(tiff.get(0) == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int magic = in.getShort(2);
        return (magic == 42 && length < 8) || (magic == 43 && length < 16);
    }

    /** Whether the bytes start like a classic TIFF or a BigTIFF with 8-byte offsets. */
    static boolean isTiff(byte[] bytes) {
        return isTiff(ByteBuffer.wrap(bytes));
    }

    static boolean isTiff(ByteBuffer bytes) {
        return buffer(bytes) != null;
    }

    /** The whole file in its byte order, or null when it does not start like a TIFF/BigTIFF. */
    private static ByteBuffer buffer(ByteBuffer tiff) {
        if (tiff.capacity() < 8) {
            return null;
        }
        byte first = tiff.get(0);
        if (!((first == 'I' && tiff.get(1) == 'I') || (first == 'M' && tiff.get(1) == 'M'))) {
            return null;
        }
        ByteBuffer in =
                tiff.duplicate()
                        .order(first == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int magic = in.getShort(2);
        if (magic == 42) {
            return in;
        }
        // BigTIFF: bytesize of offsets 8, then a zero constant.
        return magic == 43 && in.capacity() >= 16 && in.getShort(4) == 8 && in.getShort(6) == 0
                ? in
                : null;
    }

    /** Bytes of one value inline in an entry: 4 in a classic TIFF, 8 in a BigTIFF. */
    int valueSize() {
        return big ? 8 : 4;
    }

    /** The {@code index}-th value of a SHORT, LONG or LONG8 entry. */
    long value(Entry entry, long index) {
        int at = (int) (entry.valuesAt() + index * typeSize(entry.type()));
        return switch (entry.type()) {
            case SHORT -> Short.toUnsignedInt(in.getShort(at));
            case LONG -> Integer.toUnsignedLong(in.getInt(at));
            case LONG8 -> in.getLong(at);
            default -> throw new IllegalArgumentException("not an integer type: " + entry.type());
        };
    }

    /** The {@code index}-th offset of a pointer entry: LONG, IFD, LONG8 or IFD8; 0 for others. */
    long pointer(Entry entry, long index) {
        int at = (int) (entry.valuesAt() + index * typeSize(entry.type()));
        return switch (entry.type()) {
            case LONG, 13 -> Integer.toUnsignedLong(in.getInt(at));
            case LONG8, 18 -> in.getLong(at);
            default -> 0;
        };
    }

    /** The directory at {@code offset} of the same file; throws when it lies outside it. */
    TiffDirectory at(long offset) {
        if (offset <= 0 || offset + (big ? 8 : 2) > in.capacity()) {
            throw new PastTheEnd("the IFD at offset " + offset);
        }
        return new TiffDirectory(in, big, (int) offset);
    }

    /** The first value of an integer tag, or {@code fallback} when absent. */
    long integer(int tag, long fallback) {
        Entry entry = entries.get(tag);
        return entry == null || entry.count() < 1 ? fallback : value(entry, 0);
    }

    /** A DOUBLE tag's values, or null when absent or of another type. */
    double[] doubles(int tag) {
        Entry entry = entries.get(tag);
        if (entry == null || entry.type() != DOUBLE || entry.count() > 1024) {
            return null;
        }
        double[] values = new double[(int) entry.count()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.getDouble(entry.valuesAt() + i * 8);
        }
        return values;
    }

    /** A SHORT tag's values, or null when absent or of another type. */
    int[] shorts(int tag) {
        Entry entry = entries.get(tag);
        if (entry == null || entry.type() != SHORT || entry.count() > 65536) {
            return null;
        }
        int[] values = new int[(int) entry.count()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Short.toUnsignedInt(in.getShort(entry.valuesAt() + i * 2));
        }
        return values;
    }

    /** Bytes per value of a TIFF field type (TIFF 6.0 section 2, BigTIFF's 16-18). */
    static int typeSize(int type) {
        return switch (type) {
            case 1, 2, 6, 7 -> 1; // BYTE, ASCII, SBYTE, UNDEFINED
            case 3, 8 -> 2; // SHORT, SSHORT
            case 4, 9, 11, 13 -> 4; // LONG, SLONG, FLOAT, IFD
            case 5, 10, 12, 16, 17, 18 -> 8; // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
            default -> 1;
        };
    }
}
