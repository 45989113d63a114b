package org.imagestream.decode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The medical decoder: a DICOM Part 10 file to its model input. The file meta group is read first
 * ({@link DicomFileMeta}: refuses what cannot be decoded, inflates a deflated dataset), the header
 * walked for its geometry before any pixel ({@link DicomHeader}: limits), compressed pixel data
 * decoded into a native copy ({@link EncapsulatedPixelData}), then the frames are read in place
 * ({@link NativeDicomFrames}) and the modality LUT and the VOI window of PS3.3 C.11.2.1.2.1
 * applied. The header walk is the only parse of the dataset, and every reader's state belongs to
 * one call, so the slots of a TaskManager decode at once without sharing anything.
 */
final class DicomDecoder {
    static {
        ImageDecoders.initialize(); // headless AWT, no ImageIO disk cache, before any reader
    }

    private DicomDecoder() {}

    /** The windowed DICOM image at its own size (previews). */
    static DecodedPixels decodeMedicalFullSize(byte[] bytes) throws DecodeException {
        return decodeMedicalFullSize(bytes, DicomFrame.FIRST);
    }

    static DecodedPixels decodeMedicalFullSize(byte[] bytes, DicomFrame frame)
            throws DecodeException {
        DecodeLimits limits = DecodeLimits.DEFAULT;
        return decode(bytes, null, frame, limits, new DecodeDeadline(limits.timeBudgetMillis()));
    }

    /**
     * @param input model geometry to resample to, or null for the image's own size
     */
    static DecodedPixels decode(
            byte[] bytes,
            ModelInput input,
            DicomFrame frame,
            DecodeLimits limits,
            DecodeDeadline deadline)
            throws DecodeException {
        if (input != null) {
            ImageDecoders.requireChannels(input, 1, "medical");
        }
        if (!isDicomPart10(bytes)) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT, "not a DICOM Part 10 file (no DICM prefix)");
        }
        DicomFileMeta.Readable readable = DicomFileMeta.open(bytes, limits);
        // Geometry from the header before any pixel is read: frames and pixels within limits,
        // and pixel data that is really in the file.
        DicomHeader header =
                DicomHeader.read(
                        readable.bytes(), readable.datasetOffset(), readable.transferSyntax());
        limits.checkFrames(header.columns(), header.rows(), header.frames(), "DICOM file");
        if (header.samplesPerPixel() != 1) {
            throw new DecodeException(
                    Reason.INCOMPATIBLE,
                    "DICOM image has "
                            + header.samplesPerPixel()
                            + " samples per pixel; medical models take one (grayscale)");
        }
        if (!header.rendering().monochrome()) {
            // The value itself is not quoted: a dead letter's message carries no header text.
            throw new DecodeException(
                    Reason.INCOMPATIBLE,
                    "DICOM image is not MONOCHROME1 or MONOCHROME2 (a palette or colour image);"
                            + " medical models take grayscale");
        }
        NativeDicomFrames.requireSupportedBits(header.bitsAllocated());
        if (header.encapsulated()) {
            // Compressed: every frame decoded into a native copy of the file, then read as any
            // uncompressed one (budgeted below, with the copy).
            limits.checkMemory(
                    EncapsulatedPixelData.workingBytes(header, bytes.length),
                    "compressed DICOM file");
            readable = EncapsulatedPixelData.toNative(readable, header, deadline);
            header = header.asNative();
        }
        boolean everyFrame = frame == DicomFrame.ALL && header.frames() > 1;
        if (everyFrame) {
            limits.checkParts(header.frames(), "DICOM file with frame: all");
        }
        // The resampler's rows and its sums (a double per output sample), the window's table and
        // the model-sized output (of every frame with frame: all); the frames are read in place, a
        // row at a time, from the file or from its inflated copy, which stays alive meanwhile.
        long inflated = readable.bytes() == bytes ? 0 : readable.bytes().length;
        int width = header.columns();
        int height = header.rows();
        long outputPixels = input == null ? (long) width * height : input.size();
        long outputs = everyFrame ? header.frames() + 1L : 1;
        long needed =
                saturatedSum(
                        DecodeLimits.resampledBytes(width, height, 0),
                        DecodeMemory.DICOM_WINDOW_TABLE + outputPixels * Double.BYTES);
        limits.checkMemory(
                needed < 0 ? -1 : needed + inflated + outputs * outputPixels * Float.BYTES,
                "DICOM file");
        NativeDicomFrames frames = new NativeDicomFrames(readable.bytes(), header);
        DicomRendering rendering = header.rendering();
        Map<String, String> extras = dicomExtras(rendering, frames.frames());
        double[] voi = voiWindow(rendering, frames, deadline);
        if (everyFrame) {
            int size = (int) outputPixels;
            float[] pixels = new float[frames.frames() * size];
            List<Map<String, String>> partExtras = new ArrayList<>(frames.frames());
            for (int f = 0; f < frames.frames(); f++) {
                deadline.check("DICOM frame " + (f + 1) + " of " + frames.frames());
                float[] windowed = window(frames, f, width, height, voi, rendering, input);
                System.arraycopy(windowed, 0, pixels, f * size, size);
                partExtras.add(Map.of("frame", Integer.toString(f + 1)));
            }
            return new DecodedPixels(pixels, width, height, extras, frames.frames(), partExtras);
        }
        int chosen = frame == DicomFrame.MIDDLE ? frames.frames() / 2 : 0;
        deadline.check("DICOM file");
        return new DecodedPixels(
                window(frames, chosen, width, height, voi, rendering, input),
                width,
                height,
                extras);
    }

    /**
     * The VOI window {@code [center, width]} of a file: its first window, or, when it has none, a
     * window over the full range of all its frames, as DCMTK's min-max window does, so the frames
     * of one file share one scale. Computed once per file.
     */
    private static double[] voiWindow(
            DicomRendering rendering, NativeDicomFrames frames, DecodeDeadline deadline)
            throws DecodeException {
        double center = rendering.windowCenter();
        double windowWidth = rendering.windowWidth();
        if (Double.isFinite(center) && Double.isFinite(windowWidth) && windowWidth >= 1) {
            return new double[] {center, windowWidth};
        }
        double[] range = frames.range(deadline);
        return new double[] {(range[0] + range[1]) / 2, Math.max(1, range[1] - range[0] + 1)};
    }

    /**
     * One frame through the modality LUT, the file's VOI window ({@link #voiWindow}), MONOCHROME1
     * inversion, and resampling to the model input, read row by row from the file's bytes.
     */
    private static float[] window(
            NativeDicomFrames frames,
            int frame,
            int width,
            int height,
            double[] voi,
            DicomRendering rendering,
            ModelInput input) {
        float[] windowed =
                Pixels.resize(
                        frames.windowedRows(frame, width, new VoiWindow(voi[0], voi[1])),
                        width,
                        height,
                        1,
                        input == null ? width : input.width(),
                        input == null ? height : input.height());
        if (rendering.monochrome1()) {
            // MONOCHROME1: the minimum value is white (PS3.3 C.7.6.3.1.2), inverted after the
            // VOI window as DCMTK does.
            for (int i = 0; i < windowed.length; i++) {
                windowed[i] = 1f - windowed[i];
            }
        }
        return windowed;
    }

    /**
     * What the result keeps of a DICOM header: modality, body part and geometry. Deliberately an
     * allow-list of coded values: no patient, study or institution tag can reach a result row this
     * way.
     */
    private static Map<String, String> dicomExtras(DicomRendering rendering, int frames) {
        Map<String, String> extras = new LinkedHashMap<>();
        if (rendering.modality() != null) {
            extras.put("modality", rendering.modality());
        }
        if (rendering.bodyPart() != null) {
            extras.put("body_part", rendering.bodyPart());
        }
        extras.put("frames", Integer.toString(frames));
        return extras;
    }

    /** {@code a + b}, or -1 (over any budget) when either is -1 or the sum overflows. */
    private static long saturatedSum(long a, long b) {
        return a < 0 || b < 0 || a + b < 0 ? -1 : a + b;
    }

    static boolean isDicomPart10(byte[] bytes) {
        return bytes.length >= 132
                && bytes[128] == 'D'
                && bytes[129] == 'I'
                && bytes[130] == 'C'
                && bytes[131] == 'M';
    }
}
