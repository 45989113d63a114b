package org.imagestream.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.imagestream.decode.DecodeException.Reason;

/**
 * A compressed DICOM frame's codestream without the metadata a codestream may carry besides the
 * image: JPEG and JPEG-LS comment (COM) and application (APPn) segments, JPEG 2000 comment (COM)
 * segments, a JP2 file wrapper's boxes, and any bytes after the end marker. Modalities and PACS
 * exports write patient names, IDs and dates there (a COM segment, EXIF in APP1), where no DICOM
 * attribute rule reaches. Kept: every segment decoding needs, a JFIF APP0 without a thumbnail and
 * an Adobe APP14 (both fixed-size, and they tell a reader the colour transform).
 *
 * <p>Walks the marker segments the way T.81 B.1 (JPEG), T.87 (JPEG-LS: an FF in coded data is
 * followed by a byte below 80h) and T.800 A (JPEG 2000: tile-parts of known length) define them,
 * entropy-coded data copied as it is. A codestream that cannot be walked to its end marker is
 * refused: its metadata could not be told from its image.
 */
final class CodestreamMetadata {
    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;
    private static final int COM = 0xFE;

    private static final int J2K_SOC = 0xFF4F;
    private static final int J2K_SOT = 0xFF90;
    private static final int J2K_SOD = 0xFF93;
    private static final int J2K_EOC = 0xFFD9;
    private static final int J2K_COM = 0xFF64;
    private static final int J2K_TLM = 0xFF55;

    private CodestreamMetadata() {}

    /** A JPEG or JPEG-LS codestream {@code in[from, to)} without its metadata segments. */
    static byte[] jpeg(byte[] in, int from, int to, boolean jpegLs) throws DecodeException {
        if (to - from < 2 || (in[from] & 0xFF) != 0xFF || (in[from + 1] & 0xFF) != SOI) {
            throw corrupt("does not start with a start-of-image marker");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        out.write(0xFF);
        out.write(SOI);
        int at = from + 2;
        while (true) {
            if (at >= to) {
                throw cut();
            }
            if ((in[at] & 0xFF) != 0xFF) {
                // Stray bytes before a marker, which libjpeg skips with a warning: skipped, and
                // not copied (they are not image data either).
                at++;
                continue;
            }
            while (at < to && (in[at] & 0xFF) == 0xFF) {
                at++; // fill bytes
            }
            if (at >= to) {
                throw cut();
            }
            int marker = in[at++] & 0xFF;
            if (marker == EOI) {
                out.write(0xFF);
                out.write(EOI);
                return out.toByteArray(); // anything after the end marker is dropped
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                out.write(0xFF);
                out.write(marker);
                continue;
            }
            if (marker == SOI || marker == 0x00) {
                throw corrupt("has a misplaced marker");
            }
            if (at + 2 > to) {
                throw cut();
            }
            int length = (in[at] & 0xFF) << 8 | (in[at + 1] & 0xFF);
            if (length < 2) {
                throw corrupt("has a marker segment shorter than its length field");
            }
            if (at + length > to) {
                throw cut();
            }
            if (keeps(marker, in, at + 2, at + length)) {
                out.write(0xFF);
                out.write(marker);
                out.write(in, at, length);
            }
            at += length;
            if (marker == SOS) {
                int scan = at;
                at = endOfScan(in, at, to, jpegLs);
                out.write(in, scan, at - scan);
            }
        }
    }

    /** Where the entropy-coded data starting at {@code at} ends: the next marker's FF. */
    private static int endOfScan(byte[] in, int at, int to, boolean jpegLs) throws DecodeException {
        while (true) {
            if (at + 1 >= to) {
                throw cut();
            }
            if ((in[at] & 0xFF) != 0xFF) {
                at++;
                continue;
            }
            int next = in[at + 1] & 0xFF;
            boolean restart = next >= 0xD0 && next <= 0xD7;
            boolean data = jpegLs ? next < 0x80 : next == 0x00;
            if (restart || data) {
                at += 2;
            } else if (next == 0xFF && !jpegLs) {
                at++; // a fill byte before the marker
            } else {
                return at;
            }
        }
    }

    /** Whether a JPEG marker segment with body {@code in[body, end)} is kept. */
    private static boolean keeps(int marker, byte[] in, int body, int end) {
        if (marker == COM) {
            return false;
        }
        if (marker == 0xE0) {
            // JFIF: identifier, version, units, densities, a 0 x 0 thumbnail (JFIF 1.02).
            return end - body == 14
                    && startsWith(in, body, "JFIF\0")
                    && in[body + 12] == 0
                    && in[body + 13] == 0;
        }
        if (marker == 0xEE) {
            return end - body == 12 && startsWith(in, body, "Adobe");
        }
        if (marker >= 0xE1 && marker <= 0xEF) {
            return false; // EXIF, XMP, ICC, vendors' own
        }
        if (marker == 0xF8) {
            // JPEG-LS preset coding parameters (T.87 C.2.4.1.1: ID 1, five 16-bit values); the
            // mapping tables of IDs 2 and 3 can hold 64 KiB of anything, and the decoder refuses
            // them anyway.
            return end - body == 11 && in[body] == 1;
        }
        if (marker >= 0xF0 && marker <= 0xFD) {
            return marker == 0xF7; // the JPEG-LS frame header
        }
        return marker >= 0xC0; // frames, tables, restart interval, scans; not reserved 02-BF
    }

    /**
     * A JPEG 2000 codestream {@code in[from, to)} (or a JP2 file, whose contiguous codestream box
     * is taken) without COM segments; a tile-part that loses one has its length (Psot) corrected,
     * and the main header's tile-part lengths (TLM, optional) are then dropped.
     */
    static byte[] jpeg2000(byte[] in, int from, int to) throws DecodeException {
        int[] codestream = jp2Codestream(in, from, to);
        from = codestream[0];
        to = codestream[1];
        ByteBuffer bytes = ByteBuffer.wrap(in);
        if (to - from < 2 || Short.toUnsignedInt(bytes.getShort(from)) != J2K_SOC) {
            throw corrupt("does not start with a start-of-codestream marker");
        }
        java.util.List<byte[]> main = new java.util.ArrayList<>();
        ByteArrayOutputStream tileParts = new ByteArrayOutputStream(to - from);
        boolean tilePartShrank = false;
        int at = from + 2;
        while (true) {
            int marker = marker(bytes, at, to);
            if (marker == J2K_SOT) {
                break;
            }
            int end = segmentEnd(bytes, at, to);
            if (marker != J2K_COM) {
                main.add(java.util.Arrays.copyOfRange(in, at, end));
            }
            at = end;
        }
        while (true) {
            int marker = marker(bytes, at, to);
            if (marker == J2K_EOC) {
                break; // anything after the end marker is dropped
            }
            if (marker != J2K_SOT || at + 12 > to) {
                throw corrupt("has no tile-part where one must be");
            }
            long declared = Integer.toUnsignedLong(bytes.getInt(at + 6));
            int tileEnd =
                    declared == 0
                            ? lastTileEnd(bytes, at, to)
                            : (int) Math.min(to + 1L, at + declared);
            if (tileEnd > to) {
                throw cut();
            }
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            int inside = at + 12;
            while (marker(bytes, inside, tileEnd) != J2K_SOD) {
                int end = segmentEnd(bytes, inside, tileEnd);
                if (marker(bytes, inside, tileEnd) != J2K_COM) {
                    header.write(in, inside, end - inside);
                }
                inside = end;
            }
            int removed = (inside - (at + 12)) - header.size();
            ByteBuffer sot = ByteBuffer.wrap(java.util.Arrays.copyOfRange(in, at, at + 12));
            if (removed > 0) {
                tilePartShrank = true;
                if (declared != 0) {
                    sot.putInt(6, (int) (declared - removed));
                }
            }
            tileParts.write(sot.array(), 0, 12);
            tileParts.write(header.toByteArray(), 0, header.size());
            tileParts.write(in, inside, tileEnd - inside);
            at = tileEnd;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        out.write(0xFF);
        out.write(0x4F);
        for (byte[] segment : main) {
            boolean tileLengths =
                    Short.toUnsignedInt(ByteBuffer.wrap(segment).getShort(0)) == J2K_TLM;
            if (!(tilePartShrank && tileLengths)) {
                out.write(segment, 0, segment.length); // stale tile-part lengths are dropped
            }
        }
        out.write(tileParts.toByteArray(), 0, tileParts.size());
        out.write(0xFF);
        out.write(0xD9);
        return out.toByteArray();
    }

    /** The contiguous codestream box's contents of a JP2 file, or {@code [from, to)} itself. */
    private static int[] jp2Codestream(byte[] in, int from, int to) throws DecodeException {
        ByteBuffer bytes = ByteBuffer.wrap(in);
        if (to - from < 12 || bytes.getInt(from) != 12 || bytes.getInt(from + 4) != 0x6A502020) {
            return new int[] {from, to};
        }
        int at = from;
        while (at + 8 <= to) {
            long length = Integer.toUnsignedLong(bytes.getInt(at));
            int type = bytes.getInt(at + 4);
            int header = 8;
            if (length == 1) {
                if (at + 16 > to) {
                    throw cut();
                }
                length = bytes.getLong(at + 8);
                header = 16;
            } else if (length == 0) {
                length = to - at;
            }
            if (length < header || at + length > to) {
                throw cut();
            }
            if (type == 0x6A703263) { // jp2c
                return new int[] {at + header, (int) (at + length)};
            }
            at += (int) length;
        }
        throw corrupt("is a JP2 file without a codestream box");
    }

    /** The last tile-part (Psot 0) runs to the end-of-codestream marker ending the frame. */
    private static int lastTileEnd(ByteBuffer bytes, int at, int to) throws DecodeException {
        int end = to;
        while (end > at + 2
                && EncapsulatedPixelData.isEndPadding(bytes.get(end - 1))
                && Short.toUnsignedInt(bytes.getShort(end - 2)) != J2K_EOC) {
            end--; // fragment padding
        }
        if (end - 2 <= at || Short.toUnsignedInt(bytes.getShort(end - 2)) != J2K_EOC) {
            throw cut();
        }
        return end - 2;
    }

    private static int marker(ByteBuffer bytes, int at, int to) throws DecodeException {
        if (at + 2 > to) {
            throw cut();
        }
        int marker = Short.toUnsignedInt(bytes.getShort(at));
        if ((marker >>> 8) != 0xFF) {
            throw corrupt("has no marker where one must be");
        }
        return marker;
    }

    private static int segmentEnd(ByteBuffer bytes, int at, int to) throws DecodeException {
        if (at + 4 > to) {
            throw cut();
        }
        int length = Short.toUnsignedInt(bytes.getShort(at + 2));
        if (length < 2) {
            throw corrupt("has a marker segment shorter than its length field");
        }
        if (at + 2 + length > to) {
            throw cut();
        }
        return at + 2 + length;
    }

    private static boolean startsWith(byte[] in, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (in[at + i] != (byte) ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static DecodeException corrupt(String what) {
        return new DecodeException(Reason.CORRUPT, "a compressed DICOM frame " + what);
    }

    private static DecodeException cut() {
        return new DecodeException(
                Reason.TRUNCATED, "a compressed DICOM frame is cut short before its end marker");
    }
}
