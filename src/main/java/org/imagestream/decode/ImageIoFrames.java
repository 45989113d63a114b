package org.imagestream.decode;

import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.decode.EncapsulatedPixelData.Fragment;

/**
 * The DICOM frames decoded through ImageIO readers: JPEG baseline and lossless (process 14, SV1)
 * through TwelveMonkeys (baseline handed to the JDK's libjpeg), JPEG 2000 through
 * jai-imageio-jpeg2000 (JJ2000). The codestream's own size and component count are checked against
 * the DICOM header before its pixels are read.
 */
final class ImageIoFrames {
    private static final Set<String> JPEG =
            Set.of(
                    EncapsulatedPixelData.JPEG_BASELINE,
                    EncapsulatedPixelData.JPEG_LOSSLESS,
                    EncapsulatedPixelData.JPEG_LOSSLESS_SV1);

    private ImageIoFrames() {}

    /** One JPEG or JPEG 2000 frame, whose codestream is {@code fragments}, into {@code frame}. */
    static void decode(byte[] file, List<Fragment> fragments, String syntax, NativeFrame frame)
            throws DecodeException {
        String what = frame.what();
        Function<String, DecodeException> corrupt =
                problem -> new DecodeException(Reason.CORRUPT, what + " " + problem);
        ImageReader reader = reader(syntax);
        try (ImageInputStream in = ImageIO.createImageInputStream(concatenated(file, fragments))) {
            reader.setInput(in, true, true);
            // The codestream's own size first (its precision is known once it is read).
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            frame.requireFits(width, height, 1, corrupt);
            // ... and its component count: a codestream may declare thousands of components of
            // the header's size, each decoded into a plane of its own.
            var raw = reader.getRawImageType(0);
            if (raw != null && raw.getNumBands() != 1) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        what + " declares " + raw.getNumBands() + " components, the header one");
            }
            Raster raster = frame.deadline().read(reader, what, () -> reader.readRaster(0, null));
            frame.requireFits(width, height, raster.getSampleModel().getSampleSize(0), corrupt);
            if (raster.getNumBands() != 1) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        what + " has " + raster.getNumBands() + " components, the header one");
            }
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
                frame.putRow(0, y, row, 0, width);
            }
        } catch (IOException | RuntimeException e) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    what
                            + " ("
                            + DicomFileMeta.COMPRESSED.get(syntax)
                            + ") does not decode: "
                            + e.getMessage(),
                    e);
        } finally {
            reader.dispose();
        }
    }

    private static InputStream concatenated(byte[] file, List<Fragment> fragments) {
        if (fragments.size() == 1) {
            Fragment only = fragments.get(0);
            return new ByteArrayInputStream(file, only.offset(), only.length());
        }
        List<InputStream> parts = new ArrayList<>();
        fragments.forEach(
                fragment ->
                        parts.add(
                                new ByteArrayInputStream(
                                        file, fragment.offset(), fragment.length())));
        return new SequenceInputStream(Collections.enumeration(parts));
    }

    /** A new reader for one frame (readers are stateful; the providers are shared). */
    private static ImageReader reader(String syntax) throws DecodeException {
        try {
            return (JPEG.contains(syntax) ? Providers.JPEG : Providers.JPEG_2000)
                    .createReaderInstance();
        } catch (IOException e) {
            throw new DecodeException(Reason.CORRUPT, "no reader for " + syntax, e);
        }
    }

    /**
     * Providers made directly, not looked up in ImageIO's registry (global, and filled from
     * whichever class loader first scanned it, which differs per Flink job).
     */
    private static final class Providers {
        static final ImageReaderSpi JPEG = twelveMonkeysJpeg();
        static final ImageReaderSpi JPEG_2000 =
                new com.github.jaiimageio.jpeg2000.impl.J2KImageReaderSpi();

        private static ImageReaderSpi twelveMonkeysJpeg() {
            var spi = new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi();
            // TwelveMonkeys hands baseline decoding to the JDK's reader, which it finds in the
            // registry (the JDK's own readers are always registered there).
            spi.onRegistration(IIORegistry.getDefaultInstance(), ImageReaderSpi.class);
            return spi;
        }
    }
}
