package org.imagestream.decode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The one walk of a JPEG's marker segments, from SOI to the first scan (SOS): frame size and
 * component count (the first SOFn), whether an ICC profile (APP2 {@code ICC_PROFILE}) or an Adobe
 * colour transform (APP14) comes before the frame header, where the EXIF block (APP1 {@code Exif})
 * is, where the first scan's entropy-coded data starts and how the walk ended. Read without
 * decoding; the truncation check, the choice of decoder, the limits and the orientation all take
 * this result instead of walking the segments again.
 *
 * @param width the frame's width, or -1 when no frame header was reached
 * @param height the frame's height, or -1
 * @param components the frame's component count, or -1
 * @param exifOffset where the APP1 {@code Exif} payload starts (its {@code Exif\0\0} prefix), or -1
 *     when there is none before the frame header
 * @param exifLength length of that payload
 * @param scanDataAt where the first scan's entropy-coded data starts (just after its SOS segment),
 *     or -1 when the walk did not reach a scan
 * @param end how the walk ended
 * @param progressive whether the frame is progressive (SOF2, SOF6, SOF10, SOF14)
 * @param coefficientBytes the frame's DCT coefficients at 2 bytes each, per component in whole
 *     MCUs: the buffer libjpeg allocates, in native memory, to decode a file of several scans
 * @param firstScanComponents the components of the first scan (its SOS segment's Ns), or -1
 */
record JpegMarkers(
        int width,
        int height,
        int components,
        boolean iccProfile,
        boolean adobe,
        int exifOffset,
        int exifLength,
        int scanDataAt,
        End end,
        boolean progressive,
        long coefficientBytes,
        int firstScanComponents) {

    /** How the walk from SOI ended. */
    enum End {
        /** At the first scan's SOS segment, whole. */
        SCAN,
        /** At an EOI marker before any scan. */
        END_OF_IMAGE,
        /** The file ends before the first scan, or inside a segment. */
        CUT,
        /** Bytes where a marker must be, or a segment length below 2: not a truncation. */
        MALFORMED
    }

    /** Whether a frame header (SOFn) came before the walk ended. */
    boolean hasFrame() {
        return components >= 0;
    }

    /** The segments of a file that starts with SOI ({@code FF D8}), or null for any other file. */
    static JpegMarkers ofJpeg(byte[] bytes) {
        return bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8
                ? scan(bytes)
                : null;
    }

    /** The segments of a file that starts with SOI ({@code FF D8}). */
    static JpegMarkers scan(byte[] jpeg) {
        boolean icc = false;
        boolean adobe = false;
        int exifOffset = -1;
        int exifLength = 0;
        int width = -1;
        int height = -1;
        int components = -1;
        boolean progressive = false;
        long coefficientBytes = 0;
        int firstScanComponents = -1;
        int at = 2; // after SOI
        End end = End.CUT;
        int scanDataAt = -1;
        while (at + 4 <= jpeg.length) {
            if ((jpeg[at] & 0xFF) != 0xFF) {
                end = End.MALFORMED;
                break;
            }
            int marker = jpeg[at + 1] & 0xFF;
            if (marker == 0xFF) {
                at++; // fill byte
                continue;
            }
            if (marker == 0xD9) {
                end = End.END_OF_IMAGE;
                break;
            }
            int length = ((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF);
            if (length < 2) {
                end = End.MALFORMED;
                break;
            }
            if (at + 2 + length > jpeg.length) {
                break; // cut inside the segment
            }
            int segment = at + 4;
            boolean beforeFrame = components < 0;
            if (marker == 0xDA) {
                scanDataAt = at + 2 + length;
                firstScanComponents = length > 2 ? jpeg[segment] & 0xFF : -1;
                end = End.SCAN;
                break;
            } else if (beforeFrame && marker == 0xE2 && startsWith(jpeg, segment, "ICC_PROFILE")) {
                icc = true;
            } else if (beforeFrame && marker == 0xEE && startsWith(jpeg, segment, "Adobe")) {
                adobe = true;
            } else if (beforeFrame
                    && marker == 0xE1
                    && exifOffset < 0
                    && startsWith(jpeg, segment, "Exif")) {
                exifOffset = segment;
                exifLength = length - 2;
            } else if (beforeFrame && isStartOfFrame(marker) && length >= 8) {
                height = ((jpeg[segment + 1] & 0xFF) << 8) | (jpeg[segment + 2] & 0xFF);
                width = ((jpeg[segment + 3] & 0xFF) << 8) | (jpeg[segment + 4] & 0xFF);
                components = jpeg[segment + 5] & 0xFF;
                progressive = (marker & 0x03) == 0x02;
                coefficientBytes = coefficientBytes(jpeg, segment, length - 2, width, height);
            }
            at += 2 + length;
        }
        return new JpegMarkers(
                width,
                height,
                components,
                icc,
                adobe,
                exifOffset,
                exifLength,
                scanDataAt,
                end,
                progressive,
                coefficientBytes,
                firstScanComponents);
    }

    /**
     * Native memory libjpeg holds for the coefficients of this image: a progressive frame, or a
     * sequential one whose first scan does not hold every component (libjpeg then expects more
     * scans, jdinput.c) or that has several scans ({@link #scansOfImage}), is buffered whole before
     * any row is output; a sequential frame of one scan of every component is decoded an MCU row at
     * a time.
     *
     * @param scansInFile the file's start-of-scan markers ({@link #scans}): the image's scans are
     *     walked for only when the file has more than one (a thumbnail's may be among them)
     */
    long nativeCoefficientBytes(byte[] jpeg, int scansInFile) {
        boolean buffered =
                progressive
                        || (firstScanComponents >= 0 && firstScanComponents < components)
                        || (scansInFile > 1 && scansOfImage(jpeg) > 1);
        return buffered ? coefficientBytes : 0;
    }

    /**
     * The scans of the image whose first scan's data starts at {@code scanDataAt}: 1 + the
     * start-of-scan markers up to its end-of-image marker, walking the entropy-coded data (where FF
     * is followed by 00, a fill FF or a restart marker) and skipping the marker segments between
     * scans. An EXIF thumbnail (before the frame header) and the images a multi-picture file
     * appends after the end marker are other images and do not count; -1 when there is no scan.
     */
    int scansOfImage(byte[] jpeg) {
        if (scanDataAt < 0) {
            return -1;
        }
        int scans = 1;
        int at = scanDataAt;
        while (at + 1 < jpeg.length) {
            if (jpeg[at] != (byte) 0xFF) {
                at++;
                continue;
            }
            int marker = jpeg[at + 1] & 0xFF;
            if (marker == 0xFF) {
                at++;
                continue;
            }
            if (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7)) {
                at += 2;
                continue;
            }
            if (marker == 0xD9 || at + 4 > jpeg.length) {
                break;
            }
            if (marker == 0xDA) {
                scans++;
            }
            at += 2 + (((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF));
        }
        return scans;
    }

    /**
     * Blocks of 64 two-byte coefficients per component, each component's block counts rounded up to
     * whole MCUs (its sampling factors), as libjpeg's coefficient controller allocates them.
     */
    private static long coefficientBytes(
            byte[] jpeg, int segment, int length, int width, int height) {
        int components = jpeg[segment + 5] & 0xFF;
        if (length < 6 + 3 * components) {
            return 0; // malformed: the decoder refuses it before allocating
        }
        int maxH = 1;
        int maxV = 1;
        for (int c = 0; c < components; c++) {
            int factors = jpeg[segment + 7 + 3 * c] & 0xFF;
            maxH = Math.max(maxH, factors >> 4);
            maxV = Math.max(maxV, factors & 0x0F);
        }
        long bytes = 0;
        for (int c = 0; c < components; c++) {
            int factors = jpeg[segment + 7 + 3 * c] & 0xFF;
            int h = Math.max(1, factors >> 4);
            int v = Math.max(1, factors & 0x0F);
            long blocksWide = roundUp(ceilDiv(ceilDiv((long) width * h, maxH), 8), h);
            long blocksHigh = roundUp(ceilDiv(ceilDiv((long) height * v, maxV), 8), v);
            bytes += blocksWide * blocksHigh * 128;
        }
        return bytes;
    }

    private static long ceilDiv(long value, long divisor) {
        return (value + divisor - 1) / divisor;
    }

    private static long roundUp(long value, long multiple) {
        return ceilDiv(value, multiple) * multiple;
    }

    /**
     * Most scans a photo may have: libjpeg-turbo's own limit when asked to limit them
     * (TJFLAG_LIMITSCANS), after its security audit (LJT-01-003).
     */
    static final int MAX_SCANS = 500;

    /**
     * Refuses a JPEG of more than {@link #MAX_SCANS} start-of-scan markers (counted by {@link
     * #scans}): each progressive scan walks every block however little it codes, so 25,000 scans of
     * 80 bytes each keep a decoder busy for hours inside native code (TensorFlow's) that no
     * deadline interrupts. FF DA cannot occur inside entropy-coded data (an FF there is followed by
     * 00 or a restart marker), so counting it counts scans.
     */
    static void requireFewScans(int scans) throws DecodeException {
        if (scans > MAX_SCANS) {
            throw new DecodeException(
                    DecodeException.Reason.CORRUPT, "JPEG has more than " + MAX_SCANS + " scans");
        }
    }

    /**
     * The start-of-scan markers in {@code jpeg[from, to)}, counted up to one past the limit. Eight
     * bytes are skipped at once while none of them is FF (most of a photo's entropy-coded data):
     * every photo's bytes are walked, so this was a byte-pair compare per byte.
     */
    static int scans(byte[] jpeg, int from, int to) {
        int scans = 0;
        int at = from;
        while (at + 1 < to && scans <= MAX_SCANS) {
            if (at + Long.BYTES <= to && !holdsFf((long) LONGS.get(jpeg, at))) {
                at += Long.BYTES;
                continue;
            }
            if (jpeg[at] == (byte) 0xFF && jpeg[at + 1] == (byte) 0xDA) {
                scans++;
            }
            at++;
        }
        return scans;
    }

    /** Eight bytes at a time, in any one order (only whether a byte is FF matters). */
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * Whether one of the eight bytes is FF: exactly when the complement has a zero byte, which
     * {@code (v - 0x01..01) & ~v & 0x80..80} detects without false positives or misses.
     */
    private static boolean holdsFf(long eight) {
        long complement = ~eight;
        return ((complement - ONES) & ~complement & HIGHS) != 0;
    }

    /** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0
                && marker <= 0xCF
                && marker != 0xC4
                && marker != 0xC8
                && marker != 0xCC;
    }

    private static boolean startsWith(byte[] bytes, int at, String ascii) {
        if (at + ascii.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
