package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The image geometry of a DICOM dataset, read by walking its elements up to Pixel Data (7FE0,0010)
 * without reading pixels: rows, columns, frames, samples per pixel, bits allocated, where the pixel
 * data lies, in which byte order and VR, and the values that render it ({@link DicomRendering}). It
 * is the only parse of the dataset the decoder makes; it lets the limits refuse a file before any
 * pixel is read, and refuses element lengths that run past the end of the file.
 *
 * <p>Handles explicit VR (little and big endian) and implicit VR little endian, sequences and items
 * of defined and undefined length (PS3.5 7.1, 7.5), and encapsulated pixel data (PS3.5 A.4) in a
 * compressed transfer syntax: its items are fragments of compressed bytes, listed in {@code
 * fragments} (the first is the Basic Offset Table), and {@code pixelDataLength} is then -1. Nesting
 * depth and element count are bounded, so a hostile file cannot make the walk deep or long.
 */
record DicomHeader(
        int rows,
        int columns,
        int frames,
        int samplesPerPixel,
        int bitsAllocated,
        long pixelDataOffset,
        long pixelDataLength,
        List<EncapsulatedPixelData.Fragment> fragments,
        int pixelDataEnd,
        ByteOrder order,
        String pixelDataVr,
        DicomRendering rendering) {
    private static final int PIXEL_DATA = 0x7FE00010;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_DELIMITATION = 0xFFFEE00D;
    private static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    private static final int MAX_DEPTH = 16;
    private static final int MAX_ELEMENTS = 1_000_000;

    /** Fragments of encapsulated pixel data: 128 Ki of 1 KiB fragments fill a 128 MiB file. */
    private static final int MAX_FRAGMENTS = 1 << 17;

    /** Every VR of PS3.5 6.2. */
    private static final Set<String> VRS =
            Set.of(
                    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB",
                    "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM",
                    "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV");

    /** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2). */
    static final Set<String> LONG_VRS =
            Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");

    /** Whether the pixel data is encapsulated (compressed fragments), not native. */
    boolean encapsulated() {
        return !fragments.isEmpty();
    }

    /** Bytes of pixel data the header promises: rows x columns x frames x samples x bits / 8. */
    long expectedPixelBytes() {
        return (long) rows * columns * frames * samplesPerPixel * ((bitsAllocated + 7) / 8);
    }

    /**
     * This header for the copy {@link EncapsulatedPixelData#toNative} makes of its file: the same
     * elements before the pixel data, whose element header is as long (explicit VR, 12 bytes), so
     * its value starts at the same offset, holding every frame natively (padded to even length) in
     * little endian. Saves walking the copy again.
     */
    DicomHeader asNative() {
        long length = expectedPixelBytes() + (expectedPixelBytes() & 1);
        return new DicomHeader(
                rows,
                columns,
                frames,
                samplesPerPixel,
                bitsAllocated,
                pixelDataOffset,
                length,
                List.of(),
                (int) (pixelDataOffset + length),
                ByteOrder.LITTLE_ENDIAN,
                bitsAllocated > 8 ? "OW" : "OB",
                rendering);
    }

    /**
     * @param file a Part 10 file whose dataset is not deflated (see {@link DicomFileMeta})
     * @param datasetOffset where the dataset starts, after the file meta group
     */
    static DicomHeader read(byte[] file, int datasetOffset, String transferSyntax)
            throws DecodeException {
        Walker walker = walker(file, transferSyntax);
        walker.at = datasetOffset;
        walker.walkTopLevel();
        if (walker.pixelDataOffset < 0) {
            if (walker.floatPixelData) {
                throw new DecodeException(
                        Reason.UNSUPPORTED_FORMAT,
                        "DICOM float or double float pixel data (7FE0,0008/0009) is not decoded");
            }
            throw new DecodeException(Reason.CORRUPT, "DICOM dataset has no pixel data");
        }
        if (walker.rows <= 0 || walker.columns <= 0) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "DICOM dataset declares an empty image " + walker.columns + "x" + walker.rows);
        }
        return new DicomHeader(
                walker.rows,
                walker.columns,
                walker.frames,
                walker.samplesPerPixel,
                walker.bitsAllocated,
                walker.pixelDataOffset,
                walker.pixelDataLength,
                List.copyOf(walker.fragments),
                (int) walker.at,
                walker.in.order(),
                walker.pixelDataVr,
                walker.rendering.build(walker.bitsAllocated));
    }

    private static Walker walker(byte[] file, String transferSyntax) {
        ByteOrder order =
                transferSyntax.equals(DicomFileMeta.EXPLICIT_BE)
                        ? ByteOrder.BIG_ENDIAN
                        : ByteOrder.LITTLE_ENDIAN;
        return new Walker(
                ByteBuffer.wrap(file).order(order),
                !transferSyntax.equals(DicomFileMeta.IMPLICIT_LE),
                !DicomFileMeta.NATIVE.contains(transferSyntax));
    }

    /** One top-level element of a dataset, as {@link #walk} finds it. */
    interface Visitor {
        /**
         * @param vr the explicit VR, or null in implicit VR
         * @param start offset of the element's tag
         * @param valueAt offset of its value
         * @param end offset just after it (for sequences: after their delimiter, if any)
         * @param sequence true for a sequence (explicit SQ, undefined length, or an implicit value
         *     that starts with an item)
         */
        void element(int tag, String vr, int start, int valueAt, int end, boolean sequence)
                throws DecodeException;
    }

    /** Calls {@code visitor} for every top-level element of the dataset, pixel data included. */
    static void walk(byte[] file, int datasetOffset, String transferSyntax, Visitor visitor)
            throws DecodeException {
        Walker walker = walker(file, transferSyntax);
        walker.visitor = visitor;
        walker.at = datasetOffset;
        while (walker.at + 8 <= walker.end) {
            walker.element(0, true, walker.end);
        }
    }

    private static final class Walker {
        final ByteBuffer in;
        final boolean explicit;
        final boolean encapsulated;
        final long end;
        final List<EncapsulatedPixelData.Fragment> fragments = new ArrayList<>();
        final DicomRendering.Reader rendering = new DicomRendering.Reader();
        Visitor visitor;
        long at;
        int elements;
        int rows = -1;
        int columns = -1;
        int frames = 1;
        int samplesPerPixel = 1;
        int bitsAllocated = 16;
        long pixelDataOffset = -1;
        long pixelDataLength;
        String pixelDataVr;
        boolean floatPixelData;

        Walker(ByteBuffer in, boolean explicit, boolean encapsulated) {
            this.in = in;
            this.explicit = explicit;
            this.encapsulated = encapsulated;
            this.end = in.capacity();
        }

        void walkTopLevel() throws DecodeException {
            while (at + 8 <= end && pixelDataOffset < 0) {
                element(0, true, end);
            }
        }

        /**
         * Reads one element at {@link #at}, which must end by {@code limit} (its container's end),
         * and moves past it. Sequences are walked into, whatever their length, so a nested length
         * that runs past its container is refused too.
         */
        void element(int depth, boolean topLevel, long limit) throws DecodeException {
            long start = at;
            elementAt(depth, topLevel, limit);
            if (topLevel && visitor != null) {
                visitor.element(
                        lastTag, lastVr, (int) start, (int) lastValueAt, (int) at, lastSequence);
            }
        }

        private int lastTag;
        private String lastVr;
        private long lastValueAt;
        private boolean lastSequence;

        private void elementAt(int depth, boolean topLevel, long limit) throws DecodeException {
            if (++elements > MAX_ELEMENTS) {
                throw new DecodeException(Reason.CORRUPT, "DICOM dataset has too many elements");
            }
            int tag = tagAt(at);
            String vr = null;
            long length;
            long valueAt;
            if (explicit && (tag >>> 16) != 0xFFFE) {
                need(8);
                vr =
                        new String(
                                new byte[] {in.get((int) at + 4), in.get((int) at + 5)},
                                StandardCharsets.US_ASCII);
                if (!VRS.contains(vr)) {
                    // Its length layout would be a guess, and a wrong guess reads a gigabyte-sized
                    // "value" from a few bytes of file (it did in ImageJ, the reader before).
                    throw new DecodeException(
                            Reason.CORRUPT,
                            String.format(
                                    "DICOM element (%04X,%04X) has an invalid VR",
                                    tag >>> 16, tag & 0xFFFF));
                }
                if (LONG_VRS.contains(vr)) {
                    need(12);
                    length = Integer.toUnsignedLong(in.getInt((int) at + 8));
                    valueAt = at + 12;
                } else {
                    length = Short.toUnsignedInt(in.getShort((int) at + 6));
                    valueAt = at + 8;
                }
            } else {
                need(8);
                length = Integer.toUnsignedLong(in.getInt((int) at + 4));
                valueAt = at + 8;
            }
            if (topLevel) {
                lastTag = tag;
                lastVr = vr;
                lastValueAt = valueAt;
                lastSequence = false;
            }
            if (!topLevel && tag == PIXEL_DATA && length == UNDEFINED && encapsulated) {
                // Encapsulated pixel data nested in a sequence (an Icon Image Sequence of a
                // compressed file): fragments of compressed bytes, never parsed as elements.
                at = valueAt;
                readFragments(false);
                return;
            }
            if (topLevel && tag == PIXEL_DATA) {
                if (length == UNDEFINED && encapsulated) {
                    pixelDataOffset = valueAt;
                    pixelDataLength = -1;
                    at = valueAt;
                    readFragments(true);
                    return;
                }
                if (length == UNDEFINED) {
                    throw new DecodeException(
                            Reason.UNSUPPORTED_FORMAT,
                            "DICOM pixel data is encapsulated (compressed) in an uncompressed"
                                    + " transfer syntax");
                }
                if (encapsulated) {
                    // Compressed bytes read as samples would be classified as an image.
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "DICOM pixel data of a compressed transfer syntax is not encapsulated");
                }
                if (valueAt + length > end) {
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "DICOM pixel data declares "
                                    + length
                                    + " bytes but the file ends after "
                                    + (end - valueAt));
                }
                pixelDataOffset = valueAt;
                pixelDataLength = length;
                pixelDataVr = vr == null ? "OW" : vr; // implicit VR: OW (PS3.5 A.1)
                at = valueAt + length;
                return;
            }
            boolean container =
                    tag == ITEM
                            || "SQ".equals(vr)
                            || length == UNDEFINED
                            || (vr == null && length >= 8 && startsWithItem(valueAt, limit));
            if (length != UNDEFINED && valueAt + length > limit) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        String.format(
                                "DICOM element (%04X,%04X) declares %d bytes but only %d remain",
                                tag >>> 16, tag & 0xFFFF, length, limit - valueAt));
            }
            if (!container) {
                if (topLevel) {
                    remember(tag, (int) valueAt, (int) length);
                }
                at = valueAt + length;
                return;
            }
            if (depth >= MAX_DEPTH) {
                throw new DecodeException(Reason.CORRUPT, "DICOM sequences nest too deep");
            }
            if (topLevel) {
                lastSequence = true;
            }
            at = valueAt;
            if (length == UNDEFINED) {
                // Walk to the delimiter of this sequence (or item).
                int delimiter = tag == ITEM ? ITEM_DELIMITATION : SEQUENCE_DELIMITATION;
                while (true) {
                    need(8);
                    if (tagAt(at) == delimiter) {
                        at += 8;
                        return;
                    }
                    element(depth + 1, false, limit);
                }
            }
            long contentEnd = valueAt + length;
            while (at < contentEnd) {
                element(depth + 1, false, contentEnd);
            }
            at = contentEnd;
        }

        /**
         * The items of encapsulated pixel data up to its sequence delimiter: each is a fragment of
         * compressed bytes (never parsed as elements), the first the Basic Offset Table; with
         * {@code record}, listed in {@link #fragments} (at most {@link #MAX_FRAGMENTS}). A fragment
         * must lie within the file.
         */
        private void readFragments(boolean record) throws DecodeException {
            int items = 0;
            while (true) {
                if (at + 8 > end) {
                    throw new DecodeException(
                            Reason.TRUNCATED,
                            "DICOM encapsulated pixel data ends before its sequence delimiter");
                }
                int tag = tagAt(at);
                if (tag == SEQUENCE_DELIMITATION) {
                    at += 8;
                    if (items == 0) {
                        throw new DecodeException(
                                Reason.CORRUPT,
                                "DICOM encapsulated pixel data has no Basic Offset Table item");
                    }
                    return;
                }
                if (tag != ITEM) {
                    throw new DecodeException(
                            Reason.CORRUPT,
                            String.format(
                                    "DICOM encapsulated pixel data holds (%04X,%04X), not an item",
                                    tag >>> 16, tag & 0xFFFF));
                }
                if (++items > MAX_FRAGMENTS) {
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "DICOM pixel data has more than " + MAX_FRAGMENTS + " fragments");
                }
                long length = Integer.toUnsignedLong(in.getInt((int) at + 4));
                if (at + 8 + length > end) {
                    throw new DecodeException(
                            Reason.TRUNCATED,
                            "DICOM pixel data fragment declares "
                                    + length
                                    + " bytes but the file ends after "
                                    + (end - at - 8));
                }
                if (record) {
                    fragments.add(new EncapsulatedPixelData.Fragment((int) at + 8, (int) length));
                }
                at += 8 + length;
            }
        }

        /** Implicit VR has no VR: a value that starts with an item tag is a sequence. */
        private boolean startsWithItem(long valueAt, long limit) throws DecodeException {
            return valueAt + 8 <= limit && tagAt(valueAt) == ITEM;
        }

        private void remember(int tag, int valueAt, int length) {
            switch (tag) {
                case 0x00280010 -> rows = unsignedShort(valueAt, length);
                case 0x00280011 -> columns = unsignedShort(valueAt, length);
                case 0x00280002 -> samplesPerPixel = unsignedShort(valueAt, length);
                case 0x00280100 -> bitsAllocated = unsignedShort(valueAt, length);
                case 0x00280008 -> frames = integerString(valueAt, length);
                case 0x7FE00008, 0x7FE00009 -> floatPixelData = true;
                default -> rendering.accept(tag, in, valueAt, length);
            }
        }

        private int unsignedShort(int valueAt, int length) {
            return DicomRendering.Reader.unsignedShort(in, valueAt, length);
        }

        /**
         * An IS value (Number of Frames): ASCII digits, padded with spaces or NUL; at most 12
         * characters (PS3.5 6.2), so a longer value is unreadable. Unreadable values give
         * Integer.MAX_VALUE, which the frame limit refuses; values below 1 count as 1, as DCMTK
         * reads them.
         */
        private int integerString(int valueAt, int length) {
            if (length > 64) {
                return Integer.MAX_VALUE;
            }
            byte[] text = new byte[length];
            in.get(valueAt, text);
            String value = new String(text, StandardCharsets.US_ASCII).replace("\0", "").trim();
            try {
                return value.isEmpty() ? 1 : Math.max(1, Integer.parseInt(value));
            } catch (NumberFormatException e) {
                return Integer.MAX_VALUE;
            }
        }

        private int tagAt(long offset) throws DecodeException {
            if (offset + 4 > end) {
                throw new DecodeException(Reason.CORRUPT, "DICOM dataset is truncated");
            }
            int group = Short.toUnsignedInt(in.getShort((int) offset));
            int element = Short.toUnsignedInt(in.getShort((int) offset + 2));
            return (group << 16) | element;
        }

        private void need(int bytes) throws DecodeException {
            if (at + bytes > end) {
                throw new DecodeException(Reason.CORRUPT, "DICOM dataset is truncated");
            }
        }
    }
}
