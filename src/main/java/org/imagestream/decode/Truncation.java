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
        return missing(bytes, null);
    }

    /**
     * As {@link #missing(byte[])}, for a file whose JPEG marker segments the caller has walked.
     *
     * @param jpeg the walk of the file's marker segments, or null to walk them here if it is a JPEG
     */
    static Optional<String> missing(byte[] bytes, JpegMarkers jpeg) {
        try {
            JpegMarkers markers = jpeg != null ? jpeg : JpegMarkers.ofJpeg(bytes);
            if (markers != null) {
                return jpeg(bytes, markers);
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

    /** The JPEG check on the walk of its marker segments ({@link JpegMarkers#scan}). */
    static Optional<String> jpeg(byte[] b, JpegMarkers markers) {
        return switch (markers.end()) {
            case MALFORMED -> Optional.empty(); // malformed, not truncated: the decoder says so
            case END_OF_IMAGE -> Optional.of("an end-of-image marker before any scan");
            case CUT -> Optional.of("its first scan (the headers end with the file)");
            case SCAN -> {
                // From the end: a whole file's EOI is in its last bytes (before any trailing
                // bytes), so the scan data is not walked byte by byte (it was 3 % of the job's
                // Java samples).
                for (int i = b.length - 2; i >= markers.scanDataAt(); i--) {
                    if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) {
                        yield Optional.empty();
                    }
                }
                yield Optional.of("the end-of-image marker after its scans");
            }
        };
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
        boolean image = false;
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
                image = true;
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
        if (!image) {
            // Cut between whole blocks before the first image: no trailer and no image.
            return Optional.of("its first image");
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
        return tiff(TiffDirectory.read(ByteBuffer.wrap(b)));
    }

    /**
     * The TIFF check on a file's directories, read once ({@link TiffDirectory#read}: a byte
     * array's, or a memory-mapped file's, a scene streamed from an object store): what is missing,
     * or empty.
     */
    static Optional<String> tiff(TiffDirectory.Chain tiff) {
        if (tiff == null) {
            return Optional.empty();
        }
        if (tiff.firstMissing() != null) {
            return Optional.of(tiff.firstMissing());
        }
        if (tiff.first() == null) {
            return Optional.empty(); // malformed, not truncated: the decoder says what is wrong
        }
        try {
            ImageCheck check = tiffImage(tiff.first());
            return check.malformed() ? Optional.empty() : Optional.ofNullable(check.missing());
        } catch (IndexOutOfBoundsException e) {
            return Optional.of("its structure runs past the end of the file");
        }
    }

    /**
     * Whether a TIFF image (an overview, say) has every strip or tile within the file; false when
     * cut short or malformed.
     */
    static boolean tiffImageWhole(TiffDirectory image) {
        try {
            ImageCheck check = tiffImage(image);
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

    private static final int STRIP_OFFSETS = 273;
    private static final int STRIP_BYTE_COUNTS = 279;
    private static final int TILE_OFFSETS = 324;
    private static final int TILE_BYTE_COUNTS = 325;

    private static ImageCheck tiffImage(TiffDirectory image) {
        for (int tag :
                new int[] {STRIP_OFFSETS, TILE_OFFSETS, STRIP_BYTE_COUNTS, TILE_BYTE_COUNTS}) {
            if (image.pastTheEnd.contains(tag)) {
                return ImageCheck.cut("the strip or tile table its IFD points at");
            }
        }
        // Strips and tiles both, when a file carries both tables: a reader may use either.
        ImageCheck strips =
                blocks(
                        image,
                        image.entries.get(STRIP_OFFSETS),
                        image.entries.get(STRIP_BYTE_COUNTS));
        ImageCheck tiles =
                blocks(image, image.entries.get(TILE_OFFSETS), image.entries.get(TILE_BYTE_COUNTS));
        if (strips.missing() != null) {
            return strips;
        }
        if (tiles.missing() != null) {
            return tiles;
        }
        return strips.malformed() && tiles.malformed() ? ImageCheck.MALFORMED : ImageCheck.WHOLE;
    }

    /** One table of strips or tiles (offsets and byte counts) against the file. */
    private static ImageCheck blocks(
            TiffDirectory image, TiffDirectory.Entry offsets, TiffDirectory.Entry counts) {
        if (offsets == null
                || counts == null
                || offsets.count() != counts.count()
                || !isInteger(offsets)
                || !isInteger(counts)) {
            return ImageCheck.MALFORMED;
        }
        long length = image.in.capacity();
        // Read pairwise from the file: no array as large as the tables is allocated.
        for (long i = 0; i < offsets.count(); i++) {
            long offset = image.value(offsets, i);
            long count = image.value(counts, i);
            if (offset < 0 || count < 0) {
                return ImageCheck.MALFORMED; // a LONG8 past 2^63
            }
            if (offset + count > length) {
                return ImageCheck.cut("strip or tile " + i + " of " + offsets.count());
            }
        }
        return ImageCheck.WHOLE;
    }

    /** SHORT, LONG or LONG8: the types strip and tile tables may have. */
    private static boolean isInteger(TiffDirectory.Entry entry) {
        return entry.type() == TiffDirectory.SHORT
                || entry.type() == TiffDirectory.LONG
                || entry.type() == TiffDirectory.LONG8;
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
