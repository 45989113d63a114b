package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The attributes {@link DicomDeidentifier} keeps, and the checks a kept value must pass: a file may
 * spell a kept attribute with another VR (an LT in Smallest Image Pixel Value) or fill a binary one
 * with text, so a kept element is copied only when its VR is the attribute's, its length is the
 * attribute's, and its content is what that VR allows (PS3.5 6.2). Anything else is dropped as if
 * it were not on the list.
 */
final class DicomAllowList {
    static final int BURNED_IN_ANNOTATION = 0x00280301;
    static final int PHOTOMETRIC_INTERPRETATION = 0x00280004;
    static final int FRAME_INCREMENT_POINTER = 0x00280009;
    static final int PIXEL_DATA = 0x7FE00010;
    static final int FLOAT_PIXEL_DATA = 0x7FE00008;
    static final int DOUBLE_FLOAT_PIXEL_DATA = 0x7FE00009;

    /**
     * The attributes kept, with the VR of each (for implicit VR files and the checks). Reasons: SOP
     * Class (what kind of object, no identity); Modality and Body Part Examined (the stored
     * extras); Image Pixel, Image Plane, Multi-frame, Modality LUT, VOI LUT and palette attributes
     * (what a renderer needs to show the pixels as DCMTK does; the decoder uses the pixel layout,
     * the rescale and the first window, and refuses palette images); RT Dose scaling and frame
     * offsets (dose grids); Lossy Image Compression (the result should say so); Burned In
     * Annotation (checked, and kept when the site accepts it); the pixel data. Float pixel data is
     * not kept: the decoder refuses it, and next to integer pixel data nothing reads it.
     */
    private static final Map<Integer, String> KEPT =
            Map.ofEntries(
                    Map.entry(0x00080016, "UI"), // SOP Class UID
                    Map.entry(0x00080060, "CS"), // Modality
                    Map.entry(0x00180015, "CS"), // Body Part Examined
                    Map.entry(0x00180050, "DS"), // Slice Thickness
                    Map.entry(0x00180088, "DS"), // Spacing Between Slices
                    Map.entry(0x00181063, "DS"), // Frame Time
                    Map.entry(0x00200013, "IS"), // Instance Number
                    Map.entry(0x00200032, "DS"), // Image Position (Patient)
                    Map.entry(0x00200037, "DS"), // Image Orientation (Patient)
                    Map.entry(0x00201041, "DS"), // Slice Location
                    Map.entry(0x00280002, "US"), // Samples per Pixel
                    Map.entry(PHOTOMETRIC_INTERPRETATION, "CS"),
                    Map.entry(0x00280006, "US"), // Planar Configuration
                    Map.entry(0x00280008, "IS"), // Number of Frames
                    Map.entry(FRAME_INCREMENT_POINTER, "AT"),
                    Map.entry(0x00280010, "US"), // Rows
                    Map.entry(0x00280011, "US"), // Columns
                    Map.entry(0x00280030, "DS"), // Pixel Spacing
                    Map.entry(0x00280034, "IS"), // Pixel Aspect Ratio
                    Map.entry(0x00280100, "US"), // Bits Allocated
                    Map.entry(0x00280101, "US"), // Bits Stored
                    Map.entry(0x00280102, "US"), // High Bit
                    Map.entry(0x00280103, "US"), // Pixel Representation
                    Map.entry(0x00280106, "US"), // Smallest Image Pixel Value (US or SS)
                    Map.entry(0x00280107, "US"), // Largest Image Pixel Value (US or SS)
                    Map.entry(BURNED_IN_ANNOTATION, "CS"),
                    Map.entry(0x00281050, "DS"), // Window Center
                    Map.entry(0x00281051, "DS"), // Window Width
                    Map.entry(0x00281052, "DS"), // Rescale Intercept
                    Map.entry(0x00281053, "DS"), // Rescale Slope
                    Map.entry(0x00281101, "US"), // Red Palette LUT Descriptor
                    Map.entry(0x00281102, "US"), // Green Palette LUT Descriptor
                    Map.entry(0x00281103, "US"), // Blue Palette LUT Descriptor
                    Map.entry(0x00281201, "OW"), // Red Palette LUT Data
                    Map.entry(0x00281202, "OW"), // Green Palette LUT Data
                    Map.entry(0x00281203, "OW"), // Blue Palette LUT Data
                    Map.entry(0x00282110, "CS"), // Lossy Image Compression
                    Map.entry(0x00282112, "DS"), // Lossy Image Compression Ratio
                    Map.entry(0x30040002, "CS"), // Dose Units
                    Map.entry(0x30040004, "CS"), // Dose Type
                    Map.entry(0x3004000A, "CS"), // Dose Summation Type
                    Map.entry(0x3004000C, "DS"), // Grid Frame Offset Vector
                    Map.entry(0x3004000E, "DS"), // Dose Grid Scaling
                    Map.entry(PIXEL_DATA, "OW"));

    /** Kept as keyed-hash pseudonyms: Study, Series, SOP Instance, Frame of Reference UIDs. */
    static final Set<Integer> UIDS = Set.of(0x0020000D, 0x0020000E, 0x00080018, 0x00200052);

    /** The US attributes with three values (PS3.3 C.7.6.3.1.5): entries, first value, bits. */
    static final Set<Integer> PALETTE_DESCRIPTORS = Set.of(0x00281101, 0x00281102, 0x00281103);

    /** The palette data, each checked against its descriptor (same offset in the group). */
    private static final Set<Integer> PALETTE_DATA = Set.of(0x00281201, 0x00281202, 0x00281203);

    /** US attributes whose VR may also be SS (PS3.6: "US or SS"). */
    private static final Set<Integer> US_OR_SS =
            Set.of(0x00280106, 0x00280107, 0x00281101, 0x00281102, 0x00281103);

    /** The characters each kept text VR allows (PS3.5 6.2), with space and NUL padding. */
    private static final Map<String, Pattern> TEXT_VRS =
            Map.of(
                    "CS", Pattern.compile("[A-Z0-9 _\\\\]*"),
                    "DS", Pattern.compile("[0-9+\\-Ee. \\\\]*"),
                    "IS", Pattern.compile("[0-9+\\- \\\\]*"),
                    "UI", Pattern.compile("[0-9.\\\\]*"));

    /**
     * Longest Code String kept (PS3.5 6.2). Every kept CS attribute has one value, so a backslash
     * (the value separator) is refused too: a hundred capitalised values cannot pass as one.
     */
    private static final int MAX_CODE_STRING = 16;

    /** Longest UID (PS3.5 6.2), per value. */
    private static final int MAX_UID = 64;

    private DicomAllowList() {}

    /** The VR kept for {@code tag}, or null when the attribute is not kept. */
    static String keptVr(int tag) {
        return KEPT.get(tag);
    }

    /**
     * Whether a kept element is copied: its explicit VR ({@code null} in implicit VR files) is the
     * attribute's, and its value has the attribute's length and its VR's characters.
     *
     * @param photometric the file's Photometric Interpretation as read so far (palette data is kept
     *     only for a palette image)
     * @param paletteEntries the entries each palette descriptor declared, by descriptor tag
     */
    static boolean keeps(
            int tag,
            String vr,
            ByteBuffer file,
            int valueAt,
            int end,
            String photometric,
            Map<Integer, Integer> paletteEntries) {
        String keptVr = KEPT.get(tag);
        if (keptVr == null || !vrMatches(tag, keptVr, vr)) {
            return false;
        }
        int length = end - valueAt;
        switch (keptVr) {
            case "US":
                return length == (PALETTE_DESCRIPTORS.contains(tag) ? 6 : 2);
            case "AT":
                return framePointers(file, valueAt, end);
            case "OW":
                if (PALETTE_DATA.contains(tag)) {
                    Integer entries = paletteEntries.get(tag - 0x100);
                    return "PALETTE COLOR".equals(photometric)
                            && entries != null
                            && length == 2 * (entries == 0 ? 65536 : entries);
                }
                return true; // the pixel data
            default:
                return validText(keptVr, rawText(file.array(), valueAt, end));
        }
    }

    private static boolean vrMatches(int tag, String keptVr, String vr) {
        if (vr == null || vr.equals(keptVr)) {
            return true;
        }
        return (tag == PIXEL_DATA && vr.equals("OB"))
                || (US_OR_SS.contains(tag) && vr.equals("SS"));
    }

    /**
     * A kept text value as stored, {@code raw}: after its padding (leading and trailing spaces,
     * trailing NULs) only its VR's characters, so no control character or byte above 7Fh passes by
     * being trimmed away; a code string of one value at most 16 long, a UID at most 64. Decimal and
     * integer strings have no length bound: digits, signs, points and exponents spell no text, and
     * real files write 17-character rescale intercepts that must not be lost.
     */
    static boolean validText(String vr, String raw) {
        int from = 0;
        int to = raw.length();
        while (to > from && (raw.charAt(to - 1) == ' ' || raw.charAt(to - 1) == 0)) {
            to--;
        }
        while (from < to && raw.charAt(from) == ' ') {
            from++;
        }
        String value = raw.substring(from, to);
        if (!TEXT_VRS.get(vr).matcher(value).matches()) {
            return false;
        }
        if (vr.equals("CS")) {
            return value.length() <= MAX_CODE_STRING && value.indexOf('\\') < 0;
        }
        if (vr.equals("UI")) {
            for (String one : value.split("\\\\", -1)) {
                if (one.length() > MAX_UID) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A Frame Increment Pointer: tags (4 bytes each) that all name a kept attribute, so four bytes
     * of text cannot pass as a tag.
     */
    private static boolean framePointers(ByteBuffer file, int valueAt, int end) {
        int length = end - valueAt;
        if (length == 0 || length % 4 != 0) {
            return false;
        }
        for (int at = valueAt; at < end; at += 4) {
            int tag =
                    (Short.toUnsignedInt(file.getShort(at)) << 16)
                            | Short.toUnsignedInt(file.getShort(at + 2));
            if (!KEPT.containsKey(tag)) {
                return false;
            }
        }
        return true;
    }

    /** The first value of a US element, or -1 when it has none. */
    static int unsignedShort(ByteBuffer file, int valueAt, int end) {
        return end - valueAt >= 2 ? Short.toUnsignedInt(file.getShort(valueAt)) : -1;
    }

    /** A text value as stored, one char per byte. */
    static String rawText(byte[] file, int from, int to) {
        return new String(file, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** A text value without its NUL and space padding. */
    static String text(byte[] file, int from, int to) {
        return new String(file, from, to - from, StandardCharsets.US_ASCII)
                .replace("\0", "")
                .trim();
    }
}
