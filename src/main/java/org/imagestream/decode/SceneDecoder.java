package org.imagestream.decode;

import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import java.awt.image.BandedSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The remote-sensing decoder: a TIFF, BigTIFF or GeoTIFF scene to its model input, through
 * TwelveMonkeys' TIFF reader (every band, 8/16-bit and float samples): limits from the header,
 * band-interleaved files band by band ({@link PlanarTiff}), the overview closest to the input of a
 * cloud-optimised GeoTIFF when the scene is resampled ({@link TiffOverviews}), georeferencing
 * ({@link GeoTiffTags}), then tiles at full resolution ({@link SceneTiles}, or region by region
 * through {@link SceneTileStream} when a sink takes them) or one resampled input.
 */
final class SceneDecoder {
    static {
        ImageDecoders.initialize(); // headless AWT, no ImageIO disk cache, before any reader
    }

    private SceneDecoder() {}

    /**
     * A TIFF file as the decoder reads it: the whole file as a buffer for its tags (a byte array's,
     * or a memory-mapped local copy of a scene streamed from an object store, which never enters
     * the heap) and as an ImageIO stream for its pixels.
     *
     * @param bytes the file in the heap, or null when it is only mapped
     * @param file the local copy when {@code bytes} is null
     * @param tiff its directories, read once when the source is made: every reader of tags below
     *     takes them from here; null when the bytes are not a TIFF
     */
    record Source(ByteBuffer whole, byte[] bytes, Path file, TiffDirectory.Chain tiff) {
        static Source of(byte[] bytes) {
            ByteBuffer whole = ByteBuffer.wrap(bytes);
            return new Source(whole, bytes, null, TiffDirectory.read(whole));
        }

        /** A memory-mapped local copy of a file. */
        static Source mapped(ByteBuffer whole, Path file) {
            return new Source(whole, null, file, TiffDirectory.read(whole));
        }

        /** The first directory, or null when there is none to read. */
        TiffDirectory first() {
            return tiff == null ? null : tiff.first();
        }

        long length() {
            return whole.capacity();
        }

        ImageInputStream open() throws IOException {
            return bytes != null
                    ? ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))
                    : new FileImageInputStream(file.toFile());
        }
    }

    static DecodedPixels decode(
            byte[] bytes, ModelInput input, DecodeLimits limits, DecodeDeadline deadline)
            throws IOException, DecodeException {
        return decode(Source.of(bytes), input, limits, deadline);
    }

    static DecodedPixels decode(
            Source source, ModelInput input, DecodeLimits limits, DecodeDeadline deadline)
            throws IOException, DecodeException {
        return decode(source, input, limits, deadline, null);
    }

    /**
     * @param sink when given, a tiled scene's tiles are read region by region and handed to it a
     *     group at a time ({@link SceneTileStream}): the result then has no pixels
     */
    static DecodedPixels decode(
            Source source,
            ModelInput input,
            DecodeLimits limits,
            DecodeDeadline deadline,
            PartSink sink)
            throws IOException, DecodeException {
        if (source.tiff() == null) {
            throw new DecodeException(Reason.UNSUPPORTED_FORMAT, "not a TIFF/BigTIFF/GeoTIFF file");
        }
        // Only a model that tiles can have its tiles streamed: a resampling model's scene is not
        // opened twice.
        if (sink != null && input.tiling() == SceneTiling.TILE) {
            DecodedPixels streamed = SceneTileStream.read(source, input, limits, deadline, sink);
            if (streamed != null) {
                return streamed;
            }
        }
        long[] declared = new long[2];
        Raster raster = readTiffRaster(source, limits, input, deadline, declared);
        int bands = raster.getNumBands();
        // Checked from the header already; the raster read must agree.
        requireBands(input, bands);
        int width = raster.getWidth();
        int height = raster.getHeight();
        float[] samples = RasterSamples.of(raster, input);
        // Percentile stretch on the full-resolution scene (one stretch for all its tiles).
        input.stretchValues(samples);
        long[] size = new long[2];
        GeoTiffTags.Georeference georeference = GeoTiffTags.read(source.first(), size);
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
                Source.of(bytes),
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
            Source source,
            DecodeLimits limits,
            ModelInput input,
            DecodeDeadline deadline,
            long[] declared)
            throws IOException, DecodeException {
        // The reader is created directly instead of through the ImageIO registry, which is global
        // to the JVM and does not see plugins from Flink's user-code class loader.
        TiffStructure.check(source.tiff());
        ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
        try (ImageInputStream stream = source.open()) {
            reader.setInput(stream);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            declared[0] = width;
            declared[1] = height;
            int planarBands = PlanarTiff.planarSamples(source.first());
            if (planarBands > 1 && source.bytes() == null) {
                // Band views are rewritten copies of the file: in the heap only.
                throw new DecodeException(
                        Reason.TOO_LARGE,
                        "band-interleaved TIFF scenes are decoded in the heap only, up to"
                                + " limits.max-image-bytes; this one has "
                                + source.length()
                                + " bytes");
            }
            int image = 0;
            if (input != null && !SceneTiles.applies(input, width, height) && planarBands <= 1) {
                // Resampled to the model input: a cloud-optimised GeoTIFF's overview level
                // closest to (not below) the input is read instead of the full resolution, and
                // the limits apply to what is read.
                int overview = TiffOverviews.closest(source.tiff(), input.width(), input.height());
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
                            + (planarBands > 1
                                    ? divideRoundingUp(source.length(), width, height)
                                    : 0);
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
            boolean readKeepsSamples =
                    TiffRasters.readKeepsSamples(
                            TiffRasters.directory(source.tiff(), index), rawType);
            Raster raster =
                    deadline.read(
                            reader,
                            "TIFF",
                            () -> TiffRasters.read(reader, index, param, readKeepsSamples));
            if (planarBands > 1 && raster.getNumBands() == 1) {
                return readPlanarBands(
                        source.bytes(), source.first(), raster, planarBands, param, deadline);
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
            byte[] bytes,
            TiffDirectory directory,
            Raster first,
            int bands,
            ImageReadParam param,
            DecodeDeadline deadline)
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
            byte[] view = PlanarTiff.bandView(bytes, directory, band, bands);
            if (view == null) {
                throw new DecodeException(
                        Reason.CORRUPT, "band-interleaved TIFF has malformed strip or tile tags");
            }
            TiffDirectory viewDirectory = TiffDirectory.first(view);
            ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
            try (ImageInputStream stream =
                    ImageIO.createImageInputStream(new ByteArrayInputStream(view))) {
                reader.setInput(stream);
                Raster plane =
                        deadline.read(
                                reader,
                                "TIFF band " + (band + 1),
                                () ->
                                        TiffRasters.read(
                                                reader,
                                                0,
                                                param,
                                                TiffRasters.readKeepsSamples(
                                                        viewDirectory, reader.getRawImageType(0))));
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

    /** A scene's band count against the model's channels or selected bands. */
    static void requireBands(ModelInput input, int bands) throws DecodeException {
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

    /** Bytes per pixel that {@code bytes} add to a decode, rounded up. */
    private static long divideRoundingUp(long bytes, long width, long height) {
        long pixels = Math.max(1, width * height);
        return (bytes + pixels - 1) / pixels;
    }
}
