package org.imagestream.decode;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.imagestream.decode.DecodeException.Reason;

/**
 * What a TIFF's directories must satisfy before TwelveMonkeys reads them, because its reader does
 * not: it follows SubIFD and EXIF/GPS/Interoperability pointers by recursion with no depth limit (a
 * 3.6 MB file of 200,000 nested SubIFDs overflows the stack inside {@code getWidth(0)}, an {@code
 * Error} that fails the task on every replay), and it allocates a row buffer as wide as the
 * TileWidth tag says, unchecked (a 16 x 16 scene declaring tiles 160,000,000 samples wide asks for
 * 4 GB). Both are refused here as {@code CORRUPT}, from the directories alone, the same way on
 * every replay.
 */
final class TiffStructure {
    /** Tags whose values point at further directories (TIFF 6.0 / EXIF 2.3 / DNG). */
    private static final int[] POINTERS = {330, 34665, 34853, 40965};

    private static final int TILE_WIDTH = 322;
    private static final int TILE_LENGTH = 323;

    /** Nesting of directories below the main chain: DNG and EXIF files use one or two levels. */
    static final int MAX_NESTING = 4;

    /**
     * Largest tile side for an image smaller than that: a tile may be larger than the image it
     * covers (a 256 x 256 tile over a 100 x 100 scene), but not by more than this.
     */
    static final int MAX_TILE_OVER_IMAGE = 4096;

    /** A directory found through pointers, and how many pointers deep it lies. */
    private record Nested(TiffDirectory directory, int depth) {}

    private TiffStructure() {}

    /** Refuses a chain with nesting too deep or tiles far larger than their image. */
    static void check(TiffDirectory.Chain chain) throws DecodeException {
        if (chain == null || chain.first() == null) {
            return; // not a TIFF, or malformed: the reader says what is wrong
        }
        Set<Long> seen = new HashSet<>();
        int nested = 0;
        for (TiffDirectory directory : chain.directories()) {
            checkTiles(directory);
            Deque<Nested> below = new ArrayDeque<>();
            below.push(new Nested(directory, 0));
            while (!below.isEmpty()) {
                Nested next = below.pop();
                TiffDirectory at = next.directory();
                int depth = next.depth();
                for (int tag : POINTERS) {
                    TiffDirectory.Entry entry = at.entries.get(tag);
                    if (entry == null || at.pointer(entry, 0) == 0) {
                        continue; // absent, or not of an offset type
                    }
                    for (long i = 0; i < entry.count(); i++) {
                        long offset = at.pointer(entry, i);
                        if (offset <= 0 || !seen.add(offset)) {
                            continue; // none, or a loop, which the reader skips
                        }
                        if (depth + 1 > MAX_NESTING) {
                            throw new DecodeException(
                                    Reason.CORRUPT,
                                    "TIFF directories nested deeper than "
                                            + MAX_NESTING
                                            + " levels (SubIFD or EXIF pointers)");
                        }
                        if (++nested > TiffDirectory.MAX_DIRECTORIES) {
                            throw new DecodeException(
                                    Reason.CORRUPT,
                                    "TIFF has more than "
                                            + TiffDirectory.MAX_DIRECTORIES
                                            + " nested directories");
                        }
                        TiffDirectory child;
                        try {
                            child = at.at(offset);
                        } catch (RuntimeException outside) {
                            continue; // a pointer outside the file: the reader ignores it
                        }
                        checkTiles(child);
                        below.push(new Nested(child, depth + 1));
                    }
                }
            }
        }
    }

    private static void checkTiles(TiffDirectory directory) throws DecodeException {
        checkTile(directory, TILE_WIDTH, TiffDirectory.IMAGE_WIDTH, "width");
        checkTile(directory, TILE_LENGTH, TiffDirectory.IMAGE_LENGTH, "length");
    }

    private static void checkTile(TiffDirectory directory, int tileTag, int imageTag, String side)
            throws DecodeException {
        long tile;
        long image;
        try {
            tile = directory.integer(tileTag, 0);
            image = directory.integer(imageTag, 0);
        } catch (IllegalArgumentException notAnInteger) {
            return; // the reader refuses it
        }
        long bound = Math.max(MAX_TILE_OVER_IMAGE, (image + 15) / 16 * 16);
        if (tile > bound) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "TIFF tile "
                            + side
                            + " "
                            + tile
                            + " is larger than its image ("
                            + image
                            + ") and "
                            + MAX_TILE_OVER_IMAGE);
        }
    }
}
