package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Whether a file's container is complete, read from its structure before any pixel is decoded.
 * Readers fill what is missing of a cut-short image with grey (JPEG) or stop where the bytes end
 * (WebP, GIF, TIFF), and the model then scores an image that mostly does not exist; so a file whose
 * own structure says bytes are missing is refused as {@code TRUNCATED} instead. Each check follows
 * its format's specification only (no decoder is involved), so trailing bytes after a complete
 * image are allowed:
 *
 * <ul>
 *   <li>JPEG (ITU T.81): an EOI marker after the first scan (entropy-coded data never contains
 *       {@code FF D9}: a data byte {@code FF} is always followed by {@code 00} or a restart
 *       marker).
 *   <li>PNG: every chunk whole, up to {@code IEND}.
 *   <li>GIF (89a): the block sequence (extensions, images with their sub-blocks) whole, up to the
 *       trailer {@code 3B} or the end of the file (some encoders omit the trailer).
 *   <li>WebP: the RIFF size and every chunk inside it within the file.
 *   <li>TIFF and BigTIFF: the first IFD and every strip or tile it points at within the file.
 * </ul>
 */
final class Truncation {
    private Truncation() {}

    /** What is missing, if the file is cut short; empty when complete or not one of the formats. */
    static Optional<String> missing(byte[] bytes) {
        try {
            if (starts(bytes, 0xFF, 0xD8)) {
                return jpeg(bytes);
            }
            if (starts(bytes, 0x89, 'P', 'N', 'G')) {
                return png(bytes);
            }
            if (starts(bytes, 'G', 'I', 'F', '8')) {
                return gif(bytes);
            }
            if (starts(bytes, 'R', 'I', 'F', 'F')
                    && bytes.length >= 12
                    && ascii(bytes, 8, "WEBP")) {
                return webp(bytes);
            }
            if (starts(bytes, 'I', 'I') || starts(bytes, 'M', 'M')) {
                return tiff(bytes);
            }
            return Optional.empty();
        } catch (IndexOutOfBoundsException e) {
            return Optional.of("its structure runs past the end of the file");
        }
    }

    private static Optional<String> jpeg(byte[] b) {
        int at = 2;
        while (at + 4 <= b.length) {
            if ((b[at] & 0xFF) != 0xFF) {
                return Optional.empty(); // malformed, not truncated: the decoder says so
            }
            int marker = b[at + 1] & 0xFF;
            if (marker == 0xFF) {
                at++;
                continue;
            }
            if (marker == 0xD9) {
                return Optional.of("an end-of-image marker before any scan");
            }
            int length = ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
            if (marker == 0xDA) {
                // From the end: a whole file's EOI is in its last bytes (before any trailing
                // bytes), so the scan data is not walked byte by byte (it was 3 % of the job's
                // Java samples).
                for (int i = b.length - 2; i >= at + 2 + length; i--) {
                    if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) {
                        return Optional.empty();
                    }
                }
                return Optional.of("the end-of-image marker after its scans");
            }
            at += 2 + length;
        }
        return Optional.of("its first scan (the headers end with the file)");
    }

    private static Optional<String> png(byte[] b) {
        int at = 8;
        while (at + 8 <= b.length) {
            long length = uint32(b, at, ByteOrder.BIG_ENDIAN);
            boolean end = ascii(b, at + 4, "IEND");
            long next = at + 12 + length;
            if (next > b.length) {
                return Optional.of(
                        "the rest of chunk "
                                + new String(
                                        b,
                                        at + 4,
                                        4,
                                        java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            if (end) {
                return Optional.empty();
            }
            at = (int) next;
        }
        return Optional.of("the IEND chunk");
    }

    private static Optional<String> gif(byte[] b) {
        int at = 13;
        int flags = b[10] & 0xFF;
        if ((flags & 0x80) != 0) {
            at += 3 * (1 << ((flags & 0x07) + 1)); // global colour table
        }
        while (at < b.length) {
            int block = b[at] & 0xFF;
            if (block == 0x3B) {
                return Optional.empty();
            } else if (block == 0x21) {
                at = skipSubBlocks(b, at + 2);
            } else if (block == 0x2C) {
                int imageFlags = b[at + 9] & 0xFF;
                at += 10;
                if ((imageFlags & 0x80) != 0) {
                    at += 3 * (1 << ((imageFlags & 0x07) + 1)); // local colour table
                }
                at = skipSubBlocks(b, at + 1); // after the LZW minimum code size
            } else {
                return Optional.empty(); // malformed, not truncated
            }
            if (at < 0) {
                return Optional.of("the rest of its image data");
            }
        }
        if (at > b.length) {
            return Optional.of("the rest of its colour table");
        }
        // Every block whole but no trailer: some encoders omit it; browsers and readers accept
        // such files, and nothing of the image is missing.
        return Optional.empty();
    }

    /** The position after a sub-block sequence's terminator, or -1 when the file ends first. */
    private static int skipSubBlocks(byte[] b, int at) {
        while (at < b.length) {
            int size = b[at] & 0xFF;
            if (size == 0) {
                return at + 1;
            }
            at += 1 + size;
        }
        return -1;
    }

    private static Optional<String> webp(byte[] b) {
        long riffEnd = 8 + uint32(b, 4, ByteOrder.LITTLE_ENDIAN);
        if (riffEnd > b.length) {
            return Optional.of(
                    (riffEnd - b.length)
                            + " of the "
                            + riffEnd
                            + " bytes its RIFF header declares");
        }
        long at = 12;
        while (at + 8 <= riffEnd) {
            long size = uint32(b, (int) at + 4, ByteOrder.LITTLE_ENDIAN);
            at += 8 + size + (size & 1);
            if (at > riffEnd + 1) {
                return Optional.of("the rest of a chunk");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> tiff(byte[] b) {
        return tiff(ByteBuffer.wrap(b));
    }

    /**
     * The TIFF check on a whole file as a buffer (a byte array's, or a memory-mapped file's: a
     * scene streamed from an object store): what is missing, or empty.
     */
    static Optional<String> tiff(ByteBuffer file) {
        try {
            ByteBuffer b = ordered(file);
            int magic = Short.toUnsignedInt(b.getShort(2));
            boolean big = magic == 43;
            if (magic != 42 && !big) {
                return Optional.empty();
            }
            long ifd = big ? b.getLong(8) : Integer.toUnsignedLong(b.getInt(4));
            ImageCheck check = tiffImage(b, ifd, big);
            // Malformed, not truncated: the decoder says what is wrong.
            return check.malformed() ? Optional.empty() : Optional.ofNullable(check.missing());
        } catch (IndexOutOfBoundsException e) {
            return Optional.of("its structure runs past the end of the file");
        }
    }

    /** The buffer in the file's byte order ({@code II} little-endian, {@code MM} big-endian). */
    private static ByteBuffer ordered(ByteBuffer file) {
        return file.duplicate()
                .order(file.get(0) == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    }

    /**
     * Whether the TIFF image whose IFD is at {@code ifd} (an overview, say) has every strip or tile
     * within the file; false when cut short or malformed.
     */
    static boolean tiffImageWhole(ByteBuffer file, long ifd) {
        try {
            ByteBuffer b = ordered(file);
            ImageCheck check = tiffImage(b, ifd, Short.toUnsignedInt(b.getShort(2)) == 43);
            return !check.malformed() && check.missing() == null;
        } catch (IndexOutOfBoundsException e) {
            return false;
        }
    }

    /** One TIFF image's strip or tile tables against the file: whole, cut short, or malformed. */
    private record ImageCheck(boolean malformed, String missing) {
        static final ImageCheck WHOLE = new ImageCheck(false, null);
        static final ImageCheck MALFORMED = new ImageCheck(true, null);

        static ImageCheck cut(String missing) {
            return new ImageCheck(false, missing);
        }
    }

    private static ImageCheck tiffImage(ByteBuffer b, long ifd, boolean big) {
        long length = b.capacity();
        int countSize = big ? 8 : 2;
        int entrySize = big ? 20 : 12;
        int valueSize = big ? 8 : 4;
        if (ifd < 0 || ifd + countSize > length) {
            return ImageCheck.cut("its first IFD");
        }
        long entries = big ? b.getLong((int) ifd) : Short.toUnsignedInt(b.getShort((int) ifd));
        if (entries < 0 || ifd + countSize + entries * entrySize > length) {
            return ImageCheck.cut("the rest of its first IFD");
        }
        Field offsets = null;
        Field counts = null;
        for (int i = 0; i < entries; i++) {
            int entry = (int) (ifd + countSize + (long) i * entrySize);
            int tag = Short.toUnsignedInt(b.getShort(entry));
            if (tag == 273 || tag == 324 || tag == 279 || tag == 325) {
                Field field = Field.at(b, entry, big, valueSize);
                if (field == null || field.start() < 0) {
                    return ImageCheck.MALFORMED;
                }
                if (field.start() + field.count() * field.width() > length) {
                    return ImageCheck.cut("the strip or tile table its IFD points at");
                }
                if (tag == 273 || tag == 324) {
                    offsets = field;
                } else {
                    counts = field;
                }
            }
        }
        if (offsets == null || counts == null || offsets.count() != counts.count()) {
            return ImageCheck.MALFORMED;
        }
        // Read pairwise from the file: no array as large as the tables is allocated.
        for (long i = 0; i < offsets.count(); i++) {
            long offset = offsets.value(b, i);
            long count = counts.value(b, i);
            if (offset < 0 || count < 0) {
                return ImageCheck.MALFORMED; // a LONG8 past 2^63
            }
            if (offset + count > length) {
                return ImageCheck.cut("strip or tile " + i + " of " + offsets.count());
            }
        }
        return ImageCheck.WHOLE;
    }

    /** A SHORT, LONG or LONG8 array of an IFD entry: where its values start, how many, how wide. */
    private record Field(long start, long count, int width) {
        static Field at(ByteBuffer b, int entry, boolean big, int valueSize) {
            int type = Short.toUnsignedInt(b.getShort(entry + 2));
            long count = big ? b.getLong(entry + 4) : Integer.toUnsignedLong(b.getInt(entry + 4));
            int width =
                    switch (type) {
                        case 3 -> 2;
                        case 4 -> 4;
                        case 16 -> 8;
                        default -> -1;
                    };
            if (width < 0 || count < 0 || count > Integer.MAX_VALUE) {
                return null;
            }
            int field = entry + 4 + valueSize;
            long start =
                    count * width <= valueSize
                            ? field
                            : (big ? b.getLong(field) : Integer.toUnsignedLong(b.getInt(field)));
            return new Field(start, count, width);
        }

        long value(ByteBuffer b, long index) {
            int at = (int) (start + index * width);
            return switch (width) {
                case 2 -> Short.toUnsignedInt(b.getShort(at));
                case 4 -> Integer.toUnsignedLong(b.getInt(at));
                default -> b.getLong(at);
            };
        }
    }

    private static long uint32(byte[] b, int at, ByteOrder order) {
        return ByteBuffer.wrap(b, at, 4).order(order).getInt() & 0xFFFFFFFFL;
    }

    private static boolean ascii(byte[] b, int at, String text) {
        if (at + text.length() > b.length) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (b[at + i] != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean starts(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
