package org.imagestream.decode;

import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import ij.plugin.DICOM;
import java.awt.image.BandedSampleModel;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.model.Domain;

/**
 * Bytes to model tensors, one decoder per domain. Every failure becomes a {@link DecodeException}
 * with a reason; no exception of any other type escapes (a corrupt file must never fail the job).
 *
 * <p>Social photos go through ImageIO (JPEG, PNG, GIF, BMP); remote-sensing GeoTIFFs through
 * TwelveMonkeys' TIFF reader (multi-band, 16-bit); medical DICOM through ImageJ's DICOM reader.
 */
public final class ImageDecoders {
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
        // ImageJ and AWT must never try to open a display inside a TaskManager.
        System.setProperty("java.awt.headless", "true");
        ImageIO.setUseCache(false);
    }

    private ImageDecoders() {}

    public static DecodedPixels decode(Domain domain, byte[] bytes, ModelInput input)
            throws DecodeException {
        return decode(domain, bytes, input, DecodeLimits.DEFAULT);
    }

    public static DecodedPixels decode(
            Domain domain, byte[] bytes, ModelInput input, DecodeLimits limits)
            throws DecodeException {
        return decode(domain, bytes, input, limits, null);
    }

    /**
     * @param jpeg TensorFlow's JPEG decoder for the JPEGs it handles, or null for ImageIO only
     */
    public static DecodedPixels decode(
            Domain domain, byte[] bytes, ModelInput input, DecodeLimits limits, TfJpegDecoder jpeg)
            throws DecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new DecodeException(Reason.EMPTY, "record has no image bytes");
        }
        if (domain != Domain.MEDICAL) {
            // A cut-short file decodes to an image that is mostly fill: refuse it from its
            // structure first (DICOM pixel data lengths are checked by the DICOM header walk).
            var missing = Truncation.missing(bytes);
            if (missing.isPresent()) {
                throw new DecodeException(
                        Reason.TRUNCATED,
                        domain.id()
                                + " image of "
                                + bytes.length
                                + " bytes is truncated: missing "
                                + missing.get());
            }
        }
        DecodeDeadline deadline = new DecodeDeadline(limits.timeBudgetMillis());
        try {
            DecodedPixels pixels =
                    switch (domain) {
                        case SOCIAL -> decodeSocial(bytes, input, limits, deadline, jpeg);
                        case REMOTE_SENSING -> decodeRemoteSensing(bytes, input, limits, deadline);
                        case MEDICAL ->
                                decodeMedical(bytes, input, input.frame(), limits, deadline);
                    };
            deadline.check(domain.id() + " image");
            input.normalize(pixels.pixels());
            return pixels;
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    domain.id() + " image is corrupt or truncated: " + describe(e),
                    e);
        }
    }

    static DecodedPixels decodeSocial(
            byte[] bytes,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline,
            TfJpegDecoder jpeg)
            throws IOException, DecodeException {
        requireChannels(input, 3, "social");
        Photo photo =
                readPhoto(bytes, limits, deadline, jpeg, Math.max(input.width(), input.height()));
        // Upright, grey as recorded and resampled in one pass over the decoded rows: no
        // full-size copy of the image is made.
        UprightRgbRows rows = new UprightRgbRows(photo.decoded(), photo.orientation());
        return new DecodedPixels(
                Pixels.resize(rows, rows.width(), rows.height(), 3, input.width(), input.height()),
                photo.width(),
                photo.height());
    }

    /**
     * A decoded photo as the reader gave it (possibly decoded scaled down or subsampled), its EXIF
     * orientation, and the upright size its file declares.
     */
    private record Photo(BufferedImage decoded, int orientation, int width, int height) {
        static Photo of(
                BufferedImage decoded, int declaredWidth, int declaredHeight, int orientation) {
            boolean turned = orientation >= 5; // 5-8 swap width and height
            return new Photo(
                    decoded,
                    orientation,
                    turned ? declaredHeight : declaredWidth,
                    turned ? declaredWidth : declaredHeight);
        }

        /** The photo upright, grey as recorded, as an image (previews; copies the pixels). */
        BufferedImage upright() {
            return ExifOrientation.apply(grayAsRecorded(decoded), orientation);
        }
    }

    /**
     * A photo as people see it: the first frame, in sRGB, turned upright by its EXIF orientation.
     * The declared size is checked against the limits before any pixel is decoded.
     */
    static BufferedImage readSocialImage(byte[] bytes, DecodeLimits limits)
            throws IOException, DecodeException {
        return readSocialImage(
                bytes, limits, new DecodeDeadline(limits.timeBudgetMillis()), null, 0);
    }

    /**
     * @param jpeg TensorFlow's JPEG decoder, or null for ImageIO only
     * @param minSide with TensorFlow, a JPEG may be decoded scaled down (1/2, 1/4, 1/8) as long as
     *     its shorter side stays at least this long; 0 decodes at full size
     */
    static BufferedImage readSocialImage(
            byte[] bytes,
            DecodeLimits limits,
            DecodeDeadline deadline,
            TfJpegDecoder jpeg,
            int minSide)
            throws IOException, DecodeException {
        return readPhoto(bytes, limits, deadline, jpeg, minSide).upright();
    }

    private static Photo readPhoto(
            byte[] bytes,
            DecodeLimits limits,
            DecodeDeadline deadline,
            TfJpegDecoder jpeg,
            int minSide)
            throws IOException, DecodeException {
        SocialFormat format = SocialFormat.sniff(bytes);
        if (format == null) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT, "not a JPEG, PNG, GIF, BMP or WebP image");
        }
        if (format == SocialFormat.JPEG && jpeg != null) {
            JpegMarkers markers = JpegMarkers.scan(bytes);
            if (TfJpegDecoder.handles(markers)) {
                limits.check(markers.width(), markers.height(), 3, "JPEG image");
                // TensorFlow decodes off the heap; the heap holds the (scaled) result and the
                // working copies.
                limits.checkMemory(
                        DecodeMemory.photo(3)
                                * TfJpegDecoder.scaledPixels(
                                        markers.width(), markers.height(), minSide),
                        "JPEG image");
                BufferedImage image = null;
                try {
                    image = jpeg.decode(bytes, markers.width(), markers.height(), minSide);
                } catch (RuntimeException e) {
                    // Corrupt or unusual: ImageIO below decodes it or says what is wrong.
                }
                if (image != null) {
                    return Photo.of(
                            image,
                            markers.width(),
                            markers.height(),
                            ExifOrientation.of(bytes, markers));
                }
            }
        }
        ImageReader reader = format.newReader();
        BufferedImage image;
        int width;
        int height;
        try (ImageInputStream stream =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            // ignoreMetadata: the JDK's PNG reader then skips text chunks instead of inflating
            // them (a zTXt chunk of a few MB can inflate to gigabytes).
            reader.setInput(stream, true, true);
            width = reader.getWidth(0);
            height = reader.getHeight(0);
            String what = format.name() + " image";
            limits.check(width, height, 4, what);
            // Over the memory budget, a photo the model shrinks anyway is read subsampled (every
            // n-th pixel of every n-th row): the reader never holds the full-size raster.
            int step =
                    limits.subsampling(
                            width,
                            height,
                            DecodeMemory.photo(DecodeMemory.readerBytesPerPixel(reader)),
                            minSide,
                            minSide,
                            what);
            ImageReadParam param = reader.getDefaultReadParam();
            if (step > 1) {
                param.setSourceSubsampling(step, step, 0, 0);
            }
            // The first frame of a GIF or animated WebP.
            image = deadline.read(reader, what, () -> reader.read(0, param));
        } finally {
            reader.dispose();
        }
        int orientation = format.hasExif() ? ExifOrientation.of(bytes) : 1;
        return Photo.of(image, width, height, orientation);
    }

    /**
     * Java gives grayscale images a <em>linear</em> gray colour space, so {@code getRGB} would
     * brighten them; PNG and JPEG gray samples are gamma-encoded like sRGB. Gray images are
     * therefore turned into RGB from their raw samples (16-bit scaled to 8-bit), as libpng and
     * Pillow do.
     */
    static BufferedImage grayAsRecorded(BufferedImage image) {
        java.awt.color.ColorSpace space = image.getColorModel().getColorSpace();
        if (space.getType() != java.awt.color.ColorSpace.TYPE_GRAY) {
            return image;
        }
        Raster raster = image.getRaster();
        int bits = image.getColorModel().getComponentSize(0);
        double max = (1L << bits) - 1;
        int w = image.getWidth();
        int h = image.getHeight();
        int[] samples = raster.getSamples(0, 0, w, h, 0, (int[]) null);
        int[] rgb = new int[w * h];
        boolean alpha = image.getColorModel().hasAlpha();
        int[] alphas = alpha ? raster.getSamples(0, 0, w, h, 1, (int[]) null) : null;
        for (int i = 0; i < rgb.length; i++) {
            int v = (int) Math.round(samples[i] * 255 / max);
            int a = alpha ? (int) Math.round(alphas[i] * 255 / max) : 255;
            rgb[i] = (a << 24) | (v << 16) | (v << 8) | v;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        out.setRGB(0, 0, w, h, rgb, 0, w);
        return out;
    }

    static DecodedPixels decodeRemoteSensing(
            byte[] bytes, ModelInput input, DecodeLimits limits, DecodeDeadline deadline)
            throws IOException, DecodeException {
        if (!TiffDirectory.isTiff(bytes)) {
            throw new DecodeException(Reason.UNSUPPORTED_FORMAT, "not a TIFF/BigTIFF/GeoTIFF file");
        }
        long[] declared = new long[2];
        Raster raster = readTiffRaster(bytes, limits, input, deadline, declared);
        int bands = raster.getNumBands();
        int[] selected = input.bands();
        // Checked from the header already; the raster read must agree.
        requireBands(input, bands);
        int width = raster.getWidth();
        int height = raster.getHeight();
        // Floats hold every TIFF sample format exactly: 8/16-bit unsigned, 16-bit signed
        // (sign-extended by the raster), 32-bit float.
        float[] samples;
        if (selected == null) {
            samples =
                    raster.getPixels(
                            raster.getMinX(), raster.getMinY(), width, height, (float[]) null);
        } else {
            // The model's channels are the selected source bands, in the spec's order.
            samples = new float[width * height * selected.length];
            float[] band = new float[width * height];
            for (int channel = 0; channel < selected.length; channel++) {
                raster.getSamples(
                        raster.getMinX(),
                        raster.getMinY(),
                        width,
                        height,
                        selected[channel] - 1,
                        band);
                for (int i = 0; i < band.length; i++) {
                    samples[i * selected.length + channel] = band[i];
                }
            }
        }
        for (int i = 0; i < samples.length; i++) {
            samples[i] /= input.sampleScale();
        }
        // Percentile stretch on the full-resolution scene (one stretch for all its tiles).
        input.stretchValues(samples);
        long[] size = new long[2];
        GeoTiffTags.Georeference georeference = GeoTiffTags.read(bytes, size);
        // A scene over the memory budget was read subsampled: its bounds and recorded size are
        // those of the full-resolution scene.
        int sceneWidth = (int) declared[0];
        int sceneHeight = (int) declared[1];
        Map<String, String> extras =
                georeference == null ? Map.of() : georeference.extras(sceneWidth, sceneHeight);
        if (!SceneTiles.applies(input, width, height)) {
            // Area resampling of the whole scene to the model input.
            return new DecodedPixels(
                    Pixels.resize(
                            samples,
                            width,
                            height,
                            input.channels(),
                            input.width(),
                            input.height()),
                    sceneWidth,
                    sceneHeight,
                    extras);
        }
        deadline.check("GeoTIFF");
        return SceneTiles.cut(samples, width, height, input, extras, georeference);
    }

    /** All samples of a TIFF's first image, every band (TwelveMonkeys reader). */
    static Raster readTiffRaster(byte[] bytes) throws IOException, DecodeException {
        return readTiffRaster(
                bytes,
                DecodeLimits.DEFAULT,
                null,
                new DecodeDeadline(DecodeLimits.DEFAULT.timeBudgetMillis()),
                new long[2]);
    }

    /**
     * @param input when tiling applies, the tile count is checked against the limits from the
     *     header too; null for no model
     * @param declared receives the width and height the TIFF declares (the raster is smaller when
     *     it was read subsampled)
     */
    static Raster readTiffRaster(
            byte[] bytes,
            DecodeLimits limits,
            ModelInput input,
            DecodeDeadline deadline,
            long[] declared)
            throws IOException, DecodeException {
        // The reader is created directly instead of through the ImageIO registry, which is global
        // to the JVM and does not see plugins from Flink's user-code class loader.
        ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
        try (ImageInputStream stream =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(stream);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            declared[0] = width;
            declared[1] = height;
            int planarBands = PlanarTiff.planarSamples(bytes);
            int image = 0;
            if (input != null && !SceneTiles.applies(input, width, height) && planarBands <= 1) {
                // Resampled to the model input: a cloud-optimised GeoTIFF's overview level
                // closest to (not below) the input is read instead of the full resolution, and
                // the limits apply to what is read.
                int overview = TiffOverviews.closest(bytes, input.width(), input.height());
                if (overview > 0
                        && reader.getWidth(overview) >= input.width()
                        && reader.getHeight(overview) >= input.height()) {
                    image = overview;
                    width = reader.getWidth(image);
                    height = reader.getHeight(image);
                }
            }
            var rawType = reader.getRawImageType(image);
            int bands = Math.max(planarBands, rawType.getNumBands());
            limits.check(width, height, bands, "TIFF");
            if (input != null) {
                // From the header: a scene the model cannot take is refused before its pixels
                // are inflated and decoded.
                requireBands(input, bands);
            }
            long perPixel =
                    DecodeMemory.scene(
                                    bands,
                                    DataBuffer.getDataTypeSize(
                                                    rawType.getSampleModel().getDataType())
                                            / 8,
                                    input == null ? bands : input.channels(),
                                    planarBands > 1)
                            + (planarBands > 1 ? divideRoundingUp(bytes.length, width, height) : 0);
            ImageReadParam param = reader.getDefaultReadParam();
            if (input != null && SceneTiles.applies(input, width, height)) {
                limits.checkParts(SceneTiles.count(input, width, height), "GeoTIFF scene");
                // Tiles are cut at full resolution: no subsampling.
                limits.checkMemory(DecodeLimits.bytes(width, height, perPixel), "TIFF");
            } else {
                // Resampled to the model input (or a preview) anyway: over the budget, read
                // every n-th sample of every n-th row.
                int step =
                        limits.subsampling(
                                width,
                                height,
                                perPixel,
                                input == null ? 1 : input.width(),
                                input == null ? 1 : input.height(),
                                "TIFF");
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
            }
            int index = image;
            Raster raster = deadline.read(reader, "TIFF", () -> reader.readRaster(index, param));
            if (planarBands > 1 && raster.getNumBands() == 1) {
                return readPlanarBands(bytes, raster, planarBands, param, deadline);
            }
            return raster;
        } finally {
            reader.dispose();
        }
    }

    /**
     * A band-by-band TIFF of which the reader returned only the first band: every band read through
     * its own single-band view (see {@link PlanarTiff}).
     */
    private static Raster readPlanarBands(
            byte[] bytes, Raster first, int bands, ImageReadParam param, DecodeDeadline deadline)
            throws IOException, DecodeException {
        int width = first.getWidth();
        int height = first.getHeight();
        WritableRaster raster =
                Raster.createWritableRaster(
                        new BandedSampleModel(
                                first.getSampleModel().getDataType(), width, height, bands),
                        null);
        float[] samples = new float[width * height];
        for (int band = 0; band < bands; band++) {
            byte[] view = PlanarTiff.bandView(bytes, band, bands);
            if (view == null) {
                throw new DecodeException(
                        Reason.CORRUPT, "band-interleaved TIFF has malformed strip or tile tags");
            }
            ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
            try (ImageInputStream stream =
                    ImageIO.createImageInputStream(new ByteArrayInputStream(view))) {
                reader.setInput(stream);
                Raster plane =
                        deadline.read(
                                reader,
                                "TIFF band " + (band + 1),
                                () -> reader.readRaster(0, param));
                if (plane.getWidth() != width || plane.getHeight() != height) {
                    throw new DecodeException(
                            Reason.CORRUPT, "band " + (band + 1) + " of the TIFF has another size");
                }
                plane.getSamples(plane.getMinX(), plane.getMinY(), width, height, 0, samples);
                raster.setSamples(0, 0, width, height, band, samples);
            } finally {
                reader.dispose();
            }
        }
        return raster;
    }

    /** The windowed DICOM image at its own size (previews). */
    static DecodedPixels decodeMedicalFullSize(byte[] bytes) throws DecodeException {
        return decodeMedicalFullSize(bytes, DicomFrame.FIRST);
    }

    static DecodedPixels decodeMedicalFullSize(byte[] bytes, DicomFrame frame)
            throws DecodeException {
        DecodeLimits limits = DecodeLimits.DEFAULT;
        return decodeMedical(
                bytes, null, frame, limits, new DecodeDeadline(limits.timeBudgetMillis()));
    }

    /**
     * @param input model geometry to resample to, or null for the image's own size
     */
    private static DecodedPixels decodeMedical(
            byte[] bytes,
            ModelInput input,
            DicomFrame frame,
            DecodeLimits limits,
            DecodeDeadline deadline)
            throws DecodeException {
        if (input != null) {
            requireChannels(input, 1, "medical");
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
            throw new DecodeException(Reason.CORRUPT, "DICOM file is corrupt: " + describe(e), e);
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

    /** A scene's band count against the model's channels or selected bands. */
    private static void requireBands(ModelInput input, int bands) throws DecodeException {
        int[] selected = input.bands();
        if (selected == null && bands != input.channels()) {
            throw new DecodeException(
                    Reason.INCOMPATIBLE,
                    "GeoTIFF has " + bands + " bands but the model expects " + input.channels());
        }
        if (selected != null) {
            for (int band : selected) {
                if (band > bands) {
                    throw new DecodeException(
                            Reason.INCOMPATIBLE,
                            "the model uses band "
                                    + band
                                    + " but the GeoTIFF has "
                                    + bands
                                    + " bands");
                }
            }
        }
    }

    private static void requireChannels(ModelInput input, int channels, String domain)
            throws DecodeException {
        if (input.channels() != channels) {
            throw new DecodeException(
                    Reason.INCOMPATIBLE,
                    domain
                            + " images have "
                            + channels
                            + " channels but the model expects "
                            + input.channels());
        }
    }

    /** Bytes per pixel that {@code bytes} add to a decode, rounded up. */
    private static long divideRoundingUp(long bytes, long width, long height) {
        long pixels = Math.max(1, width * height);
        return (bytes + pixels - 1) / pixels;
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

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
