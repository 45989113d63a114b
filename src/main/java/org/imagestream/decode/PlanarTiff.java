package org.imagestream.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Works around TwelveMonkeys' TIFF reader (3.12 to 3.14) reading only the first band of a
 * multi-sample TIFF stored band by band (PlanarConfiguration 2, GDAL's {@code INTERLEAVE=BAND}):
 * presents band {@code b} as a single-sample TIFF the reader decodes correctly. The view is the
 * original bytes plus a new first IFD appended at the end: the same tags, with one sample per
 * pixel, no extra samples, and the strip/tile offsets and byte counts of band {@code b} only (TIFF
 * 6.0 section 8: with planar data the offsets hold every band's strips one band after the other).
 * Classic TIFF and BigTIFF; anything unexpected returns null and the caller keeps the reader's own
 * result.
 */
final class PlanarTiff {
    private static final int SAMPLES_PER_PIXEL = 277;
    private static final int PLANAR_CONFIGURATION = 284;
    private static final int BITS_PER_SAMPLE = 258;
    private static final int SAMPLE_FORMAT = 339;
    private static final int EXTRA_SAMPLES = 338;
    private static final int STRIP_OFFSETS = 273;
    private static final int STRIP_BYTE_COUNTS = 279;
    private static final int TILE_OFFSETS = 324;
    private static final int TILE_BYTE_COUNTS = 325;

    private PlanarTiff() {}

    /**
     * Samples per pixel of a planar TIFF's or BigTIFF's first image, or 0 if it is not one.
     *
     * @param first the file's first directory (null when it has none to read)
     */
    static int planarSamples(TiffDirectory first) {
        try {
            if (first == null) {
                return 0;
            }
            long samples = first.integer(SAMPLES_PER_PIXEL, 1);
            long planar = first.integer(PLANAR_CONFIGURATION, 1);
            return planar == 2 && samples > 1 && samples <= 65535 ? (int) samples : 0;
        } catch (RuntimeException malformed) {
            return 0;
        }
    }

    /**
     * Band {@code band} (0-based) of a planar TIFF as a one-sample TIFF, or null.
     *
     * @param ifd the file's first directory, as read before (null when it has none to read)
     */
    static byte[] bandView(byte[] tiff, TiffDirectory ifd, int band, int samples) {
        try {
            boolean big = ifd.big;
            int valueSize = ifd.valueSize();
            int countSize = big ? 8 : 2;
            int entrySize = big ? 20 : 12;
            int offsetType = big ? TiffDirectory.LONG8 : TiffDirectory.LONG;
            List<TiffDirectory.Entry> kept = new ArrayList<>();
            for (TiffDirectory.Entry entry : ifd.entries.values()) {
                if (entry.tag() != EXTRA_SAMPLES) {
                    kept.add(entry);
                }
            }
            kept.sort((a, b) -> Integer.compare(a.tag(), b.tag()));
            int newIfd = tiff.length + (tiff.length & 1);
            int arraysAt = newIfd + countSize + kept.size() * entrySize + valueSize;
            ByteBuffer table = ByteBuffer.allocate(kept.size() * entrySize).order(ifd.in.order());
            ByteArrayOutputStream arrays = new ByteArrayOutputStream();
            ByteBuffer value = ByteBuffer.allocate(valueSize).order(ifd.in.order());
            for (int e = 0; e < kept.size(); e++) {
                TiffDirectory.Entry entry = kept.get(e);
                int at = e * entrySize;
                int type = entry.type();
                long count = entry.count();
                Arrays.fill(value.array(), (byte) 0);
                switch (entry.tag()) {
                    case SAMPLES_PER_PIXEL, PLANAR_CONFIGURATION -> {
                        type = TiffDirectory.SHORT;
                        count = 1;
                        value.putShort(0, (short) 1);
                    }
                    case BITS_PER_SAMPLE, SAMPLE_FORMAT -> {
                        // Every band has the same value here (the reader refuses mixed ones).
                        type = TiffDirectory.SHORT;
                        count = 1;
                        value.putShort(0, (short) ifd.value(entry, 0));
                    }
                    case STRIP_OFFSETS, STRIP_BYTE_COUNTS, TILE_OFFSETS, TILE_BYTE_COUNTS -> {
                        if (count % samples != 0) {
                            return null;
                        }
                        long perBand = count / samples;
                        type = offsetType;
                        count = perBand;
                        ByteBuffer values =
                                ByteBuffer.allocate((int) perBand * valueSize)
                                        .order(ifd.in.order());
                        for (int i = 0; i < perBand; i++) {
                            long v = ifd.value(entry, band * perBand + i);
                            if (big) {
                                values.putLong(v);
                            } else {
                                values.putInt((int) v);
                            }
                        }
                        if (perBand == 1) {
                            value.put(0, values.array());
                        } else {
                            long pointer = arraysAt + arrays.size();
                            if (big) {
                                value.putLong(0, pointer);
                            } else {
                                value.putInt(0, (int) pointer);
                            }
                            arrays.writeBytes(values.array());
                        }
                    }
                    default -> {
                        // Unchanged: the raw value field, inline values or an offset into the
                        // original bytes, which the view keeps where they were.
                        value.put(0, tiff, entry.entryAt() + 4 + valueSize, valueSize);
                    }
                }
                table.putShort(at, (short) entry.tag()).putShort(at + 2, (short) type);
                if (big) {
                    table.putLong(at + 4, count);
                } else {
                    table.putInt(at + 4, (int) count);
                }
                table.put(at + 4 + valueSize, value.array(), 0, valueSize);
            }
            ByteBuffer view = ByteBuffer.allocate(arraysAt + arrays.size()).order(ifd.in.order());
            view.put(tiff);
            view.position(newIfd);
            if (big) {
                view.putLong(kept.size());
            } else {
                view.putShort((short) kept.size());
            }
            view.put(table.array());
            // The next-IFD field stays zero: no next IFD.
            view.position(arraysAt);
            view.put(arrays.toByteArray());
            if (big) {
                view.putLong(8, newIfd);
            } else {
                view.putInt(4, newIfd);
            }
            return view.array();
        } catch (RuntimeException malformed) {
            return null;
        }
    }
}
