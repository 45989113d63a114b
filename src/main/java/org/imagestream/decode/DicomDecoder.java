package org.imagestream.decode;

import ij.plugin.DICOM;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The medical decoder: a DICOM Part 10 file to its model input. The file meta group is read first
 * ({@link DicomFileMeta}: refuses what cannot be decoded, inflates a deflated dataset), the header
 * walked for its geometry before any pixel ({@link DicomHeader}: limits), compressed pixel data
 * decoded into a native copy ({@link EncapsulatedPixelData}), then ImageJ's DICOM reader gives the
 * frames, to which the modality LUT and the VOI window of PS3.3 C.11.2.1.2.1 are applied.
 */
final class DicomDecoder {
    private static final Pattern WINDOW_CENTER =
            Pattern.compile("0028,1050\\s+Window Center:\\s*([-0-9.eE+]+)");
    private static final Pattern MODALITY =
            Pattern.compile("0008,0060\\s+Modality:\\s*([A-Z0-9 _]*)");
    private static final Pattern BODY_PART =
            Pattern.compile("0018,0015\\s+Body Part Examined:\\s*([A-Z0-9 _]*)");
    private static final Pattern MONOCHROME1 =
            Pattern.compile("0028,0004\\s+Photometric Interpretation:\\s*MONOCHROME1");
    private static final Pattern WINDOW_WIDTH =
            Pattern.compile("0028,1051\\s+Window Width:\\s*([-0-9.eE+]+)");

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
        if (header.encapsulated()) {
            // Compressed: every frame decoded into a native copy of the file, then read as any
            // uncompressed one. The copy, one frame's decoding and ImageJ's stack live together.
            limits.checkMemory(
                    saturatedSum(
                            DecodeLimits.bytes(
                                    header.columns(),
                                    header.rows(),
                                    DecodeMemory.dicom(
                                            (long) header.frames(),
                                            (header.bitsAllocated() + 7) / 8)),
                            EncapsulatedPixelData.workingBytes(header, bytes.length)),
                    "compressed DICOM file");
            readable = EncapsulatedPixelData.toNative(readable, header, deadline);
            header =
                    DicomHeader.read(
                            readable.bytes(), readable.datasetOffset(), readable.transferSyntax());
        }
        if (header.pixelDataLength() < header.expectedPixelBytes()) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "DICOM pixel data has "
                            + header.pixelDataLength()
                            + " bytes, the header declares "
                            + header.expectedPixelBytes());
        }
        if (frame == DicomFrame.ALL && header.frames() > 1) {
            limits.checkParts(header.frames(), "DICOM file with frame: all");
        }
        // ImageJ reads every frame; the inflated copy of a deflated file stays alive meanwhile.
        long inflated = readable.bytes() == bytes ? 0 : readable.bytes().length;
        long perPixel =
                DecodeMemory.dicom(
                        (long) header.frames() * header.samplesPerPixel(),
                        (header.bitsAllocated() + 7) / 8);
        long needed = DecodeLimits.bytes(header.columns(), header.rows(), perPixel);
        limits.checkMemory(needed < 0 ? -1 : needed + inflated, "DICOM file");
        DICOM dicom = new DICOM(new ByteArrayInputStream(readable.bytes()));
        try {
            dicom.open("image.dcm");
        } catch (RuntimeException e) {
            throw new DecodeException(
                    Reason.CORRUPT, "DICOM file is corrupt: " + ImageDecoders.describe(e), e);
        }
        if (dicom.getWidth() == 0 || dicom.getProcessor() == null) {
            throw new DecodeException(Reason.CORRUPT, "DICOM file has no readable pixel data");
        }
        deadline.check("DICOM file");
        int frames = Math.max(1, dicom.getStackSize());
        String info = dicom.getInfoProperty();
        Map<String, String> extras = dicomExtras(info, frames);
        if (frame == DicomFrame.ALL && frames > 1) {
            double[] voi = voiWindow(dicom, info);
            int size = input == null ? dicom.getWidth() * dicom.getHeight() : input.size();
            float[] pixels = new float[frames * size];
            List<Map<String, String>> partExtras = new ArrayList<>(frames);
            for (int f = 1; f <= frames; f++) {
                deadline.check("DICOM frame " + f + " of " + frames);
                float[] windowed =
                        window(dicom, dicom.getStack().getProcessor(f), voi, info, input);
                System.arraycopy(windowed, 0, pixels, (f - 1) * size, size);
                partExtras.add(Map.of("frame", Integer.toString(f)));
            }
            return new DecodedPixels(
                    pixels, dicom.getWidth(), dicom.getHeight(), extras, frames, partExtras);
        }
        var processor =
                frame == DicomFrame.MIDDLE && frames > 1
                        ? dicom.getStack().getProcessor(frames / 2 + 1)
                        : dicom.getProcessor();
        return new DecodedPixels(
                window(dicom, processor, voiWindow(dicom, info), info, input),
                processor.getWidth(),
                processor.getHeight(),
                extras);
    }

    /**
     * The VOI window {@code [center, width]} of a file: its first window, or, when it has none, a
     * window over the full range of all its frames, as DCMTK's min-max window does, so the frames
     * of one file share one scale. Computed once per file.
     */
    private static double[] voiWindow(DICOM dicom, String info) {
        double center = parse(info, WINDOW_CENTER, Double.NaN);
        double windowWidth = parse(info, WINDOW_WIDTH, Double.NaN);
        if (!Double.isNaN(center) && !Double.isNaN(windowWidth) && windowWidth >= 1) {
            return new double[] {center, windowWidth};
        }
        float[] table = dicom.getCalibration().getCTable(); // computed once per file by ImageJ
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        var stack = dicom.getStack();
        for (int frame = 1; frame <= stack.getSize(); frame++) {
            var each = stack.getProcessor(frame);
            int pixels = each.getWidth() * each.getHeight();
            for (int i = 0; i < pixels; i++) {
                double value = modalityValue(dicom, table, each, i);
                min = Math.min(min, value);
                max = Math.max(max, value);
            }
        }
        return new double[] {(min + max) / 2, Math.max(1, max - min + 1)};
    }

    /**
     * One frame through the modality LUT, the file's VOI window ({@link #voiWindow}), MONOCHROME1
     * inversion, and resampling to the model input.
     */
    private static float[] window(
            DICOM dicom,
            ij.process.ImageProcessor processor,
            double[] voi,
            String info,
            ModelInput input) {
        int width = processor.getWidth();
        int height = processor.getHeight();
        double[] modality = new double[width * height];
        float[] table = dicom.getCalibration().getCTable();
        for (int i = 0; i < modality.length; i++) {
            modality[i] = modalityValue(dicom, table, processor, i);
        }
        double center = voi[0];
        double windowWidth = voi[1];
        float[] windowed =
                Pixels.window(
                        modality,
                        width,
                        height,
                        center,
                        windowWidth,
                        input == null ? width : input.width(),
                        input == null ? height : input.height());
        if (MONOCHROME1.matcher(info).find()) {
            // MONOCHROME1: the minimum value is white (PS3.3 C.7.6.3.1.2); ImageJ only inverts
            // its display LUT, so the samples are inverted here, after the VOI window.
            for (int i = 0; i < windowed.length; i++) {
                windowed[i] = 1f - windowed[i];
            }
        }
        return windowed;
    }

    /**
     * A stored value through ImageJ's calibration function, which is the modality LUT (rescale
     * slope and intercept). 8- and 16-bit data go through ImageJ's precomputed table (one lookup
     * per pixel instead of evaluating the function); 32-bit data through the function: getf, not
     * get, since for those get returns the float's raw bits.
     */
    private static double modalityValue(
            DICOM dicom, float[] table, ij.process.ImageProcessor processor, int index) {
        if (table != null && !(processor instanceof ij.process.FloatProcessor)) {
            int stored = processor.get(index);
            if (stored >= 0 && stored < table.length) {
                return table[stored];
            }
        }
        return dicom.getCalibration().getCValue((double) processor.getf(index));
    }

    /**
     * What the result keeps of a DICOM header: modality, body part and geometry. Deliberately an
     * allow-list: no patient, study or institution tag can reach a result row this way.
     */
    private static Map<String, String> dicomExtras(String info, int frames) {
        Map<String, String> extras = new LinkedHashMap<>();
        Matcher modality = MODALITY.matcher(info);
        if (modality.find() && !modality.group(1).isBlank()) {
            extras.put("modality", modality.group(1).trim());
        }
        Matcher bodyPart = BODY_PART.matcher(info);
        if (bodyPart.find() && !bodyPart.group(1).isBlank()) {
            extras.put("body_part", bodyPart.group(1).trim());
        }
        extras.put("frames", Integer.toString(frames));
        return extras;
    }

    private static double parse(String info, Pattern pattern, double fallback) {
        if (info == null) {
            return fallback;
        }
        Matcher matcher = pattern.matcher(info);
        if (!matcher.find()) {
            return fallback;
        }
        try {
            return Double.parseDouble(matcher.group(1));
        } catch (NumberFormatException e) {
            return fallback;
        }
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
