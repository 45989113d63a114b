package org.imagestream.decode;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.util.List;
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
 * <p>Social photos are decoded here, through ImageIO (JPEG, PNG, GIF, BMP, WebP) or TensorFlow's
 * JPEG op; remote-sensing scenes by {@link SceneDecoder}; medical DICOM by {@link DicomDecoder}.
 */
public final class ImageDecoders {
    /**
     * Zero bytes after a WebP file for TwelveMonkeys' bit reader, which refills 8 bytes ahead. At
     * the end of the file each refill throws and catches an EOFException with its stack trace, for
     * every pixel whose codes take no bits (an 845 KB lossless WebP of 6.8 M such pixels cost 22 s
     * of CPU), and a lossless stream shorter than the lookahead is refused outright (a 28-byte
     * black image libwebp decodes). The walk ({@link LosslessWebp}) has already read every pixel's
     * codes within the file, so the padding is never decoded as pixels.
     */
    private static final int WEBP_LOOKAHEAD = 16;

    static {
        // AWT must never try to open a display inside a TaskManager.
        System.setProperty("java.awt.headless", "true");
        ImageIO.setUseCache(false);
    }

    private ImageDecoders() {}

    /** Runs the static set-up above (for the domain decoders, which may be used first). */
    static void initialize() {}

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
        return decode(domain, bytes, input, limits, jpeg, null);
    }

    /**
     * @param sink takes a tiled scene's tiles as they are read ({@link SceneTileStream}), or null
     *     for every part in the result
     */
    public static DecodedPixels decode(
            Domain domain,
            byte[] bytes,
            ModelInput input,
            DecodeLimits limits,
            TfJpegDecoder jpeg,
            PartSink sink)
            throws DecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new DecodeException(Reason.EMPTY, "record has no image bytes");
        }
        // A JPEG's marker segments and a TIFF's directories are read once, here: the truncation
        // check and every reader of their values below take this reading.
        JpegMarkers markers = domain != Domain.MEDICAL ? JpegMarkers.ofJpeg(bytes) : null;
        SceneDecoder.Source scene =
                domain == Domain.REMOTE_SENSING ? SceneDecoder.Source.of(bytes) : null;
        if (domain != Domain.MEDICAL) {
            // A cut-short file decodes to an image that is mostly fill: refuse it from its
            // structure first (DICOM pixel data lengths are checked by the DICOM header walk).
            var missing =
                    scene != null && scene.tiff() != null
                            ? Truncation.tiff(scene.tiff())
                            : Truncation.missing(bytes, markers);
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
                        case SOCIAL -> decodeSocial(bytes, markers, input, limits, deadline, jpeg);
                        case REMOTE_SENSING ->
                                SceneDecoder.decode(scene, input, limits, deadline, sink);
                        case MEDICAL ->
                                DicomDecoder.decode(bytes, input, input.frame(), limits, deadline);
                    };
            deadline.check(domain.id() + " image");
            if (pixels.pixels() != null) {
                input.normalize(pixels.pixels());
            }
            return pixels;
        } catch (DecodeException | PartSink.Failure e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    domain.id() + " image is corrupt or truncated: " + describe(e),
                    e);
        } catch (StackOverflowError e) {
            // A backstop: the structures known to nest (TIFF directories, EXIF) are bounded before
            // any reader sees them; one a library recurses into without a bound must not fail
            // the task on every replay.
            throw new DecodeException(
                    Reason.CORRUPT,
                    domain.id() + " image nests its structure too deeply for its decoder");
        }
    }

    /**
     * @param markers the walk of a JPEG's marker segments, or null for another format
     */
    static DecodedPixels decodeSocial(
            byte[] bytes,
            JpegMarkers markers,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline,
            TfJpegDecoder jpeg)
            throws IOException, DecodeException {
        requireChannels(input, 3, "social");
        Photo photo =
                readPhoto(
                        bytes,
                        markers,
                        limits,
                        deadline,
                        jpeg,
                        Math.max(input.width(), input.height()));
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
        return readPhoto(bytes, JpegMarkers.ofJpeg(bytes), limits, deadline, jpeg, minSide)
                .upright();
    }

    /**
     * @param markers the walk of a JPEG's marker segments, or null for another format
     */
    private static Photo readPhoto(
            byte[] bytes,
            JpegMarkers markers,
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
        // libjpeg (TensorFlow's, or the JDK's under ImageIO) buffers a progressive or multi-scan
        // JPEG's coefficients whole, off the heap, whatever the scaling or subsampling: 2 bytes
        // per sample of every component (a 64 MP progressive photo: 192-384 MB).
        long coefficients = 0;
        List<SocialFormat.LosslessPart> losslessParts =
                format == SocialFormat.WEBP ? SocialFormat.losslessWebpParts(bytes) : List.of();
        boolean losslessWebp = !losslessParts.isEmpty();
        // TwelveMonkeys builds a lossy WebP frame's macroblocks whole, whatever the subsampling
        // (a 2 KB file whose frame header declared 63 MP asked for 1.4 GB): counted from the
        // headers before any reader sees the file.
        long macroblocks =
                format == SocialFormat.WEBP
                        ? SocialFormat.lossyWebpMacroblocks(bytes) * DecodeMemory.VP8_MACROBLOCK
                        : 0;
        if (format == SocialFormat.JPEG) {
            int scans = JpegMarkers.scans(bytes, 0, bytes.length);
            JpegMarkers.requireFewScans(scans);
            coefficients = markers == null ? 0 : markers.nativeCoefficientBytes(bytes, scans);
            limits.checkMemory(coefficients, "JPEG image");
        }
        if (format == SocialFormat.JPEG && jpeg != null) {
            if (TfJpegDecoder.handles(markers)) {
                limits.check(markers.width(), markers.height(), 3, "JPEG image");
                // TensorFlow decodes off the heap; the heap holds the (scaled) result and the
                // working copies.
                limits.checkMemory(
                        coefficients
                                + DecodeMemory.photo(3)
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
                ImageIO.createImageInputStream(
                        losslessWebp
                                ? new SequenceInputStream(
                                        new ByteArrayInputStream(bytes),
                                        new ByteArrayInputStream(new byte[WEBP_LOOKAHEAD]))
                                : new ByteArrayInputStream(bytes))) {
            // ignoreMetadata: the JDK's PNG reader then skips text chunks instead of inflating
            // them (a zTXt chunk of a few MB can inflate to gigabytes).
            reader.setInput(stream, true, true);
            width = reader.getWidth(0);
            height = reader.getHeight(0);
            String what = format.name() + " image";
            limits.check(width, height, 4, what);
            // Over the memory budget, a photo the model shrinks anyway is read subsampled (every
            // n-th pixel of every n-th row): the reader never holds the full-size raster.
            long perPixel = DecodeMemory.photo(DecodeMemory.readerBytesPerPixel(reader));
            limits.checkMemory(macroblocks, what);
            int step;
            if (losslessWebp) {
                // TwelveMonkeys' lossless WebP decoder allocates the full-size raster whatever
                // the subsampling, and prefix-code tables as many as the bitstream asks for:
                // both must fit.
                long raster = DecodeLimits.resampledBytes(width, height, perPixel);
                limits.checkMemory(raster < 0 ? -1 : raster + macroblocks, what);
                long tables =
                        LosslessWebp.heapBytes(
                                bytes,
                                losslessParts,
                                (long) width * height,
                                limits.maxDecodeMemory() - raster - macroblocks,
                                what);
                limits.checkMemory(raster + macroblocks + tables, what);
                step = 1;
            } else {
                // A JPEG's native coefficient buffer and a WebP's macroblocks come out of the
                // same budget.
                long taken = coefficients + macroblocks;
                DecodeLimits heap =
                        taken == 0
                                ? limits
                                : limits.withMaxDecodeMemory(
                                        Math.max(1 << 20, limits.maxDecodeMemory() - taken));
                step = heap.subsampling(width, height, perPixel, minSide, minSide, what);
            }
            ImageReadParam param = reader.getDefaultReadParam();
            if (step > 1) {
                param.setSourceSubsampling(step, step, 0, 0);
            }
            // The first frame of a GIF or animated WebP.
            image = deadline.read(reader, what, () -> reader.read(0, param));
        } finally {
            reader.dispose();
        }
        int orientation =
                format == SocialFormat.JPEG && markers != null
                        ? ExifOrientation.of(bytes, markers)
                        : format.hasExif() ? ExifOrientation.of(bytes) : 1;
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

    static void requireChannels(ModelInput input, int channels, String domain)
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

    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
