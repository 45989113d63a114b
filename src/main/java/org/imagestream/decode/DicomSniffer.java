package org.imagestream.decode;

import java.util.Set;

/**
 * Recognises a DICOM data set written without the Part 10 preamble and {@code DICM} prefix (as some
 * PACS and older tools send), so it is treated as medical data: the de-identifier refuses it (it
 * needs Part 10) and the job dead-letters it without its bytes, instead of passing a header full of
 * identifiers on under another domain.
 */
final class DicomSniffer {
    /** The value representations of PS3.5 Table 6.2-1. */
    private static final Set<String> VRS =
            Set.of(
                    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB",
                    "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM",
                    "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV");

    private DicomSniffer() {}

    /**
     * True when the bytes start like a DICOM data set or file meta group: a group 0002 or 0008
     * element tag (little or big endian) followed by a known VR (explicit VR) or by a 32-bit length
     * that fits the file (implicit VR), and a second element after the first that starts the same
     * way. Photos and TIFFs never start like this (their magic numbers differ).
     */
    static boolean looksLikeDataSet(byte[] bytes) {
        if (bytes.length < 16) {
            return false;
        }
        for (boolean littleEndian : new boolean[] {true, false}) {
            int group = u16(bytes, 0, littleEndian);
            if (group != 0x0002 && group != 0x0008) {
                continue;
            }
            String vr = new String(bytes, 4, 2, java.nio.charset.StandardCharsets.ISO_8859_1);
            long next;
            if (VRS.contains(vr)) {
                boolean longForm = DicomHeader.LONG_VRS.contains(vr);
                long length = longForm ? u32(bytes, 8, littleEndian) : u16(bytes, 6, littleEndian);
                next = (longForm ? 12 : 8) + length;
            } else if (littleEndian) {
                next = 8 + u32(bytes, 4, true); // implicit VR is always little endian
            } else {
                continue;
            }
            if (next + 4 <= bytes.length) {
                int nextGroup = u16(bytes, (int) next, littleEndian);
                if (nextGroup >= group && nextGroup <= 0x7FE0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int u16(byte[] b, int at, boolean littleEndian) {
        return littleEndian
                ? (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8
                : (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    private static long u32(byte[] b, int at, boolean littleEndian) {
        long value = 0;
        for (int i = 0; i < 4; i++) {
            int shift = littleEndian ? 8 * i : 8 * (3 - i);
            value |= (long) (b[at + i] & 0xFF) << shift;
        }
        return value;
    }
}
