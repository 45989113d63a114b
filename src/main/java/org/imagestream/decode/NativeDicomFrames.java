package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The frames of native (uncompressed) DICOM pixel data as modality values: each stored sample taken
 * from its bits (Bits Stored, High Bit, Pixel Representation; PS3.5 8.1.1 and PS3.3 C.7.6.3.1) and
 * put through the rescale (the modality LUT, PS3.3 C.11.1). One grayscale sample per pixel, 8, 16
 * or 32 bits allocated; the frames are read in place from the file's bytes.
 */
final class NativeDicomFrames {
    private final ByteBuffer pixels;
    private final int swapPairs;
    private final int bytesPerSample;
    private final int frameSamples;
    private final int frames;
    private final int shift;
    private final long mask;
    private final long signBit;
    private final double slope;
    private final double intercept;

    /**
     * @param file the native file {@code header} was read from, its pixel data at least as long as
     *     the header promises
     */
    NativeDicomFrames(byte[] file, DicomHeader header) throws DecodeException {
        int bits = header.bitsAllocated();
        requireSupportedBits(bits);
        long expected = header.expectedPixelBytes();
        if (header.pixelDataLength() < expected) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "DICOM pixel data has "
                            + header.pixelDataLength()
                            + " bytes, the header declares "
                            + expected);
        }
        DicomRendering rendering = header.rendering();
        // Only the pixel data's own bytes: a sample index past them fails here, not in the file.
        this.pixels =
                ByteBuffer.wrap(
                                file,
                                (int) header.pixelDataOffset(),
                                (int) header.pixelDataLength())
                        .slice()
                        .order(header.order());
        // Explicit VR big endian stores OW as 16-bit words: 8-bit samples in OW come in byte-
        // swapped pairs (PS3.5 Annex D), which pydicom and DCMTK swap back.
        this.swapPairs =
                bits == 8
                                && header.order() == ByteOrder.BIG_ENDIAN
                                && "OW".equals(header.pixelDataVr())
                        ? 1
                        : 0;
        if (swapPairs == 1 && header.pixelDataLength() < expected + (expected & 1)) {
            // The last sample of an odd count sits in the second byte of a word.
            throw new DecodeException(
                    Reason.CORRUPT, "DICOM OW pixel data has an odd length in big endian");
        }
        this.bytesPerSample = bits / 8;
        this.frameSamples = header.rows() * header.columns();
        this.frames = header.frames();
        this.shift = rendering.highBit() + 1 - rendering.bitsStored();
        this.mask = (1L << rendering.bitsStored()) - 1;
        this.signBit = rendering.signed() ? 1L << (rendering.bitsStored() - 1) : 0;
        this.slope = rendering.rescaleSlope();
        this.intercept = rendering.rescaleIntercept();
    }

    /** Refuses what this reader does not decode, before a compressed file is decompressed. */
    static void requireSupportedBits(int bitsAllocated) throws DecodeException {
        if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT,
                    "DICOM pixel data with " + bitsAllocated + " bits allocated is not decoded");
        }
    }

    int frames() {
        return frames;
    }

    /**
     * Frame {@code frame} (from 0) through the modality LUT and {@code window}, one row of {@code
     * width} samples per call: no array of the whole frame. A sample of at most 16 stored bits is
     * rendered through a table of every value it can hold, computed here by the same arithmetic,
     * when the frame has at least as many samples as the table has entries.
     */
    Pixels.RowSource windowedRows(int frame, int width, VoiWindow window) {
        int base = frame * frameSamples;
        int bitsStored = Long.bitCount(mask);
        if (bitsStored <= 16 && (1L << bitsStored) <= frameSamples) {
            float[] table = new float[1 << bitsStored];
            for (int stored = 0; stored < table.length; stored++) {
                table[stored] = window.apply(slope * signed(stored) + intercept);
            }
            return (y, row) -> {
                int at = base + y * width;
                for (int x = 0; x < width; x++) {
                    row[x] = table[(int) stored(at + x)];
                }
            };
        }
        return (y, row) -> {
            int at = base + y * width;
            for (int x = 0; x < width; x++) {
                row[x] = window.apply(slope * sample(at + x) + intercept);
            }
        };
    }

    /** The smallest and largest modality value over every frame: {@code [min, max]}. */
    double[] range(DecodeDeadline deadline) throws DecodeException {
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (int f = 0; f < frames; f++) {
            deadline.check("DICOM frame " + (f + 1) + " of " + frames);
            int base = f * frameSamples;
            for (int i = 0; i < frameSamples; i++) {
                long value = sample(base + i);
                low = Math.min(low, value);
                high = Math.max(high, value);
            }
        }
        // The rescale is linear, so the extreme values are the rescaled extreme samples; a
        // negative slope swaps them.
        double a = slope * low + intercept;
        double b = slope * high + intercept;
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }

    /** Sample {@code index} (frames one after the other) as the integer it stores. */
    private long sample(int index) {
        return signed(stored(index));
    }

    /** The Bits Stored of sample {@code index}, as an unsigned field. */
    private long stored(int index) {
        long raw =
                switch (bytesPerSample) {
                    case 1 -> Byte.toUnsignedLong(pixels.get(index ^ swapPairs));
                    case 2 -> Short.toUnsignedLong(pixels.getShort(index * 2));
                    default -> Integer.toUnsignedLong(pixels.getInt(index * 4));
                };
        return (raw >>> shift) & mask;
    }

    /** A Bits Stored field as the integer it means (Pixel Representation: two's complement). */
    private long signed(long stored) {
        return (stored & signBit) != 0 ? stored - (signBit << 1) : stored;
    }
}
