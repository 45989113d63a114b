package org.imagestream.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Works around TwelveMonkeys' TIFF reader (3.12 to 3.14) reading only the first band of a
 * multi-sample TIFF stored band by band (PlanarConfiguration 2, GDAL's {@code INTERLEAVE=BAND}):
 * presents band {@code b} as a single-sample TIFF the reader decodes correctly. The view is the
 * original bytes plus a new first IFD appended at the end: the same tags, with one sample per
 * pixel, no extra samples, and the strip/tile offsets and byte counts of band {@code b} only (TIFF
 * 6.0 section 8: with planar data the offsets hold every band's strips one band after the other).
 * Classic TIFF only; anything unexpected returns null and the caller keeps the reader's own result.
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
    private static final int SHORT = 3;
    private static final int LONG = 4;

    private PlanarTiff() {}

    /** Samples per pixel of a planar classic TIFF's first image, or 0 if it is not one. */
    static int planarSamples(byte[] tiff) {
        try {
            ByteBuffer in = buffer(tiff);
            if (in == null) {
                return 0;
            }
            int ifd = in.getInt(4);
            int entries = Short.toUnsignedInt(in.getShort(ifd));
            int samples = 1;
            int planar = 1;
            for (int e = 0; e < entries; e++) {
                int entry = ifd + 2 + e * 12;
                int tag = Short.toUnsignedInt(in.getShort(entry));
                if (tag == SAMPLES_PER_PIXEL) {
                    samples = Short.toUnsignedInt(in.getShort(entry + 8));
                } else if (tag == PLANAR_CONFIGURATION) {
                    planar = Short.toUnsignedInt(in.getShort(entry + 8));
                }
            }
            return planar == 2 && samples > 1 ? samples : 0;
        } catch (RuntimeException malformed) {
            return 0;
        }
    }

    /** Band {@code band} (0-based) of a planar TIFF as a one-sample TIFF, or null. */
    static byte[] bandView(byte[] tiff, int band, int samples) {
        try {
            ByteBuffer in = buffer(tiff);
            int ifd = in.getInt(4);
            int entries = Short.toUnsignedInt(in.getShort(ifd));
            ByteBuffer out =
                    ByteBuffer.allocate(tiff.length + 4 + 2 + entries * 12 + 4 + 64)
                            .order(in.order());
            out.put(tiff);
            while (out.position() % 2 != 0) {
                out.put((byte) 0);
            }
            // Arrays of the band's offsets and byte counts go after the new IFD.
            ByteArrayOutputStream arrays = new ByteArrayOutputStream();
            int newIfd = out.position();
            int kept = 0;
            int arraysAt = newIfd + 2 + entries * 12 + 4;
            byte[] entriesOut = new byte[entries * 12];
            ByteBuffer table = ByteBuffer.wrap(entriesOut).order(in.order());
            for (int e = 0; e < entries; e++) {
                int entry = ifd + 2 + e * 12;
                int tag = Short.toUnsignedInt(in.getShort(entry));
                int type = Short.toUnsignedInt(in.getShort(entry + 2));
                int count = in.getInt(entry + 4);
                int at = kept * 12;
                if (tag == EXTRA_SAMPLES) {
                    continue;
                }
                table.putShort(at, (short) tag).putShort(at + 2, (short) type);
                switch (tag) {
                    case SAMPLES_PER_PIXEL, PLANAR_CONFIGURATION -> {
                        table.putInt(at + 4, 1).putInt(at + 8, 0).putShort(at + 8, (short) 1);
                    }
                    case BITS_PER_SAMPLE, SAMPLE_FORMAT -> {
                        // Every band has the same value here (the reader refuses mixed ones).
                        int value =
                                Short.toUnsignedInt(in.getShort(valueAt(in, entry, type, count)));
                        table.putInt(at + 4, 1).putInt(at + 8, 0).putShort(at + 8, (short) value);
                    }
                    case STRIP_OFFSETS, STRIP_BYTE_COUNTS, TILE_OFFSETS, TILE_BYTE_COUNTS -> {
                        if (count % samples != 0 || (type != SHORT && type != LONG)) {
                            return null;
                        }
                        int perBand = count / samples;
                        int source = valueAt(in, entry, type, count);
                        table.putShort(at + 2, (short) LONG).putInt(at + 4, perBand);
                        if (perBand == 1) {
                            table.putInt(at + 8, read(in, source, type, band));
                        } else {
                            table.putInt(at + 8, arraysAt + arrays.size());
                            for (int i = 0; i < perBand; i++) {
                                int value = read(in, source, type, band * perBand + i);
                                arrays.writeBytes(
                                        ByteBuffer.allocate(4)
                                                .order(in.order())
                                                .putInt(value)
                                                .array());
                            }
                        }
                    }
                    default -> table.putInt(at + 4, count).putInt(at + 8, in.getInt(entry + 8));
                }
                kept++;
            }
            ByteBuffer view = ByteBuffer.allocate(arraysAt + arrays.size()).order(in.order());
            view.put(out.array(), 0, newIfd);
            view.putShort((short) kept);
            view.put(entriesOut, 0, kept * 12);
            view.position(newIfd + 2 + kept * 12);
            view.putInt(0); // no next IFD
            // The arrays were addressed assuming all entries were kept; pad to that address.
            view.position(arraysAt);
            view.put(arrays.toByteArray());
            view.putInt(4, newIfd);
            return view.array();
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    private static ByteBuffer buffer(byte[] tiff) {
        if (tiff.length < 8 || (tiff[0] != 'I' && tiff[0] != 'M')) {
            return null;
        }
        ByteBuffer in =
                ByteBuffer.wrap(tiff)
                        .order(tiff[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        return in.getShort(2) == 42 ? in : null;
    }

    /** Where an entry's values are: inline when they fit in 4 bytes. */
    private static int valueAt(ByteBuffer in, int entry, int type, int count) {
        int size = (type == SHORT ? 2 : 4) * count;
        return size <= 4 ? entry + 8 : in.getInt(entry + 8);
    }

    private static int read(ByteBuffer in, int at, int type, int index) {
        return type == SHORT
                ? Short.toUnsignedInt(in.getShort(at + index * 2))
                : in.getInt(at + index * 4);
    }
}
