package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

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
        boolean monochrome1,
        double rescaleSlope,
        double rescaleIntercept,
        double windowCenter,
        double windowWidth,
        String modality,
        String bodyPart) {

    /**
     * A Code String as PS3.5 6.2 allows it: upper case, digits, space, underscore, 16 at most. A
     * value outside that is not kept: the allow-list keeps coded values, never free text.
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
                case 0x00280004 -> photometric = text(in, valueAt, length);
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
         * Out-of-range bit layouts fall back to every allocated bit being significant, as ImageJ
         * did before this reader and most viewers do; an unreadable rescale is the identity.
         */
        DicomRendering build(int bitsAllocated) {
            int stored =
                    bitsStored >= 1 && bitsStored <= bitsAllocated ? bitsStored : bitsAllocated;
            int high = highBit >= stored - 1 && highBit < bitsAllocated ? highBit : stored - 1;
            return new DicomRendering(
                    stored,
                    high,
                    pixelRepresentation == 1,
                    photometric.equals("MONOCHROME1"),
                    Double.isFinite(rescaleSlope) ? rescaleSlope : 1,
                    Double.isFinite(rescaleIntercept) ? rescaleIntercept : 0,
                    windowCenter,
                    windowWidth,
                    modality,
                    bodyPart);
        }

        private static int unsignedShort(ByteBuffer in, int valueAt, int length) {
            return length >= 2 ? Short.toUnsignedInt(in.getShort(valueAt)) : -1;
        }

        /** A text value without its padding (trailing spaces or NUL, leading spaces). */
        private static String text(ByteBuffer in, int valueAt, int length) {
            byte[] value = new byte[Math.min(length, 1024)];
            in.get(valueAt, value);
            return new String(value, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
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
