package org.imagestream.decode;

import java.util.function.Function;

/**
 * Where one compressed DICOM frame is decoded to: its place in the native copy ({@code out} from
 * {@code outAt}), the geometry the DICOM header declares, the decode's deadline and the frame's
 * name for messages. Samples are stored as native pixel data holds them: little endian, {@code
 * bytesPerSample} bytes each, the codestream's bit patterns unchanged (signed samples keep their
 * two's complement, as Pixel Representation 1 declares).
 */
record NativeFrame(
        int width,
        int height,
        int bytesPerSample,
        byte[] out,
        int outAt,
        DecodeDeadline deadline,
        String what) {

    /**
     * Refuses a codestream whose own size or sample precision does not fit the header's frame,
     * before any sample is decoded: a frame may not decode larger than the header says, and samples
     * wider than Bits Allocated would be cut.
     */
    void requireFits(
            int codestreamWidth,
            int codestreamHeight,
            int precision,
            Function<String, DecodeException> corrupt)
            throws DecodeException {
        if (codestreamWidth != width || codestreamHeight != height) {
            throw corrupt.apply(
                    "is "
                            + codestreamWidth
                            + "x"
                            + codestreamHeight
                            + ", the header declares "
                            + width
                            + "x"
                            + height);
        }
        if (precision > 8 * bytesPerSample) {
            throw corrupt.apply(
                    "has "
                            + precision
                            + "-bit samples, the header allocates "
                            + 8 * bytesPerSample);
        }
    }

    /** Stores {@code count} samples of {@code values} from {@code from} at column x of row y. */
    void putRow(int x, int y, int[] values, int from, int count) {
        int at = outAt + (y * width + x) * bytesPerSample;
        if (bytesPerSample == 2) { // the common case, unrolled
            for (int i = from; i < from + count; i++) {
                out[at++] = (byte) values[i];
                out[at++] = (byte) (values[i] >>> 8);
            }
            return;
        }
        for (int i = from; i < from + count; i++) {
            int value = values[i];
            for (int b = 0; b < bytesPerSample; b++) {
                out[at++] = (byte) (value >>> (8 * b));
            }
        }
    }
}
