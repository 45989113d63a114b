package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The top-level header values that turn a DICOM frame's stored values into a picture (the Image
 * Pixel module's bit layout, the modality LUT's rescale, the first VOI window, the photometric
 * interpretation) and the two values a result keeps (modality, body part). Read by the {@link
 * DicomHeader} walk, so the header is parsed once per file and by one reader whose state belongs to
 * one call: nothing is shared between threads decoding at once.
 *
 * @param bitsStored significant bits of each sample, 1..bitsAllocated
 * @param highBit the most significant of them, bitsStored - 1 .. bitsAllocated - 1
 * @param signed two's complement samples (Pixel Representation 1)
 * @param monochrome MONOCHROME1 or MONOCHROME2 (or none given), not colour or a palette
 * @param monochrome1 the minimum value is white (PS3.3 C.7.6.3.1.2)
 * @param windowCenter the first Window Center, NaN when the file has none
 * @param windowWidth the first Window Width, NaN when the file has none
 * @param modality a valid Code String of at most 16 characters, or null
 * @param bodyPart a valid Code String of at most 16 characters, or null
 */
record DicomRendering(
        int bitsStored,
        int highBit,
        boolean signed,
        boolean monochrome,
        boolean monochrome1,
        double rescaleSlope,
        double rescaleIntercept,
        double windowCenter,
        double windowWidth,
        String modality,
        String bodyPart) {

    /**
     * A Code String as PS3.5 6.2 allows it: upper case, digits, space, underscore, 16 at most. A
     * value outside that is not kept. This is a character rule, the one the de-identifier applies
     * to the code strings it keeps: it excludes lower case, punctuation and long text, not every
     * name a hostile file could spell in capitals.
     */
    private static final Pattern CODE_STRING = Pattern.compile("[A-Z0-9 _]{1,16}");

    /** The values as the walk meets them; absent ones keep the standard's defaults. */
    static final class Reader {
        private int bitsStored = -1;
        private int highBit = -1;
        private int pixelRepresentation;
        private String photometric = "";
        private double rescaleSlope = Double.NaN;
        private double rescaleIntercept = Double.NaN;
        private double windowCenter = Double.NaN;
        private double windowWidth = Double.NaN;
        private String modality;
        private String bodyPart;

        /** Takes the value of one top-level element if it is one of the above. */
        void accept(int tag, ByteBuffer in, int valueAt, int length) {
            switch (tag) {
                case 0x00280101 -> bitsStored = unsignedShort(in, valueAt, length);
                case 0x00280102 -> highBit = unsignedShort(in, valueAt, length);
                case 0x00280103 -> pixelRepresentation = unsignedShort(in, valueAt, length);
                case 0x00280004 -> photometric = term(text(in, valueAt, length));
                case 0x00281052 -> rescaleIntercept = firstDecimal(in, valueAt, length);
                case 0x00281053 -> rescaleSlope = firstDecimal(in, valueAt, length);
                case 0x00281050 -> windowCenter = firstDecimal(in, valueAt, length);
                case 0x00281051 -> windowWidth = firstDecimal(in, valueAt, length);
                case 0x00080060 -> modality = codeString(in, valueAt, length);
                case 0x00180015 -> bodyPart = codeString(in, valueAt, length);
                default -> {}
            }
        }

        /**
         * The values, checked as DCMTK checks them: a bit layout that does not fit the allocated
         * bits is CORRUPT (a missing Bits Stored or High Bit means all allocated bits); a missing
         * photometric interpretation counts as MONOCHROME2; the rescale applies only when slope and
         * intercept are both present and the slope is not 0, and must keep every possible sample
         * finite.
         */
        DicomRendering build(int bitsAllocated) throws DecodeException {
            int stored = bitsStored < 0 ? bitsAllocated : bitsStored;
            int high = highBit < 0 ? stored - 1 : highBit;
            if (stored < 1
                    || stored > bitsAllocated
                    || high >= bitsAllocated
                    || high < stored - 1) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        "DICOM bit layout does not fit: "
                                + bitsAllocated
                                + " bits allocated, "
                                + stored
                                + " stored, high bit "
                                + high);
            }
            boolean rescaled =
                    Double.isFinite(rescaleSlope)
                            && Double.isFinite(rescaleIntercept)
                            && rescaleSlope != 0;
            double slope = rescaled ? rescaleSlope : 1;
            double intercept = rescaled ? rescaleIntercept : 0;
            // Samples are at most 32 bits: every rescaled value lies within this bound.
            if (!Double.isFinite(Math.abs(slope) * 0x1p32 + Math.abs(intercept))) {
                throw new DecodeException(
                        Reason.CORRUPT, "DICOM rescale slope or intercept is out of range");
            }
            return new DicomRendering(
                    stored,
                    high,
                    pixelRepresentation == 1,
                    photometric.isEmpty()
                            || photometric.equals("MONOCHROME1")
                            || photometric.equals("MONOCHROME2"),
                    photometric.equals("MONOCHROME1"),
                    slope,
                    intercept,
                    windowCenter,
                    windowWidth,
                    modality,
                    bodyPart);
        }

        /** A US value, or -1 when the element is too short to hold one. */
        static int unsignedShort(ByteBuffer in, int valueAt, int length) {
            return length >= 2 ? Short.toUnsignedInt(in.getShort(valueAt)) : -1;
        }

        /** A text value without its padding (trailing spaces or NUL, leading spaces). */
        private static String text(ByteBuffer in, int valueAt, int length) {
            byte[] value = new byte[Math.min(length, 1024)];
            in.get(valueAt, value);
            return new String(value, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        }

        /**
         * A defined term as readers compare it: upper case, spaces dropped ("MONOCHROME 2" and
         * "monochrome2" are MONOCHROME2, as ImageJ read them before this reader).
         */
        private static String term(String value) {
            return value.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
        }

        /** The first value of a Decimal String (values are separated by backslashes), or NaN. */
        private static double firstDecimal(ByteBuffer in, int valueAt, int length) {
            String value = text(in, valueAt, length);
            int separator = value.indexOf('\\');
            String first = (separator < 0 ? value : value.substring(0, separator)).trim();
            try {
                return first.isEmpty() ? Double.NaN : Double.parseDouble(first);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        private static String codeString(ByteBuffer in, int valueAt, int length) {
            String value = text(in, valueAt, length);
            return CODE_STRING.matcher(value).matches() ? value : null;
        }
    }
}
