package org.imagestream.decode;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;

/**
 * The photo formats of the social domain, recognised by magic bytes, each with the reader that
 * decodes it best. TwelveMonkeys' readers are created directly (JPEG: CMYK/YCCK and ICC profiles,
 * which the JDK reader refuses; WebP, which the JDK lacks) because the ImageIO registry is global
 * to the JVM and does not see plugins loaded by Flink's user-code class loader; PNG, GIF and BMP
 * use the JDK's own readers.
 */
enum SocialFormat {
    JPEG,
    PNG,
    GIF,
    BMP,
    WEBP;

    static SocialFormat sniff(byte[] b) {
        if (starts(b, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (starts(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (starts(b, 'G', 'I', 'F', '8')) {
            return GIF;
        }
        if (starts(b, 'B', 'M')) {
            return BMP;
        }
        if (starts(b, 'R', 'I', 'F', 'F')
                && b.length >= 12
                && b[8] == 'W'
                && b[9] == 'E'
                && b[10] == 'B'
                && b[11] == 'P') {
            return WEBP;
        }
        return null;
    }

    /** Formats whose files carry EXIF orientation in practice. */
    boolean hasExif() {
        return this == JPEG || this == WEBP || this == PNG;
    }

    ImageReader newReader() throws IOException {
        return switch (this) {
            case JPEG -> JpegReaders.SPI.createReaderInstance();
            case WEBP -> new WebPImageReaderSpi().createReaderInstance();
            default -> jdkReader(name().toLowerCase());
        };
    }

    /**
     * TwelveMonkeys' JPEG reader delegates baseline decoding to the JDK's and finds it when it is
     * registered. Registering it with a private registry that holds only the JDK's reader gives it
     * that delegate without changing the JVM-wide ImageIO registry.
     */
    private static final class JpegReaders {
        static final JPEGImageReaderSpi SPI = create();

        private static JPEGImageReaderSpi create() {
            ServiceRegistry registry =
                    new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
            IIORegistry.getDefaultInstance()
                    .getServiceProviders(ImageReaderSpi.class, true)
                    .forEachRemaining(
                            spi -> {
                                if (spi.getClass()
                                        .getName()
                                        .startsWith("com.sun.imageio.plugins.jpeg.")) {
                                    registry.registerServiceProvider(spi, ImageReaderSpi.class);
                                }
                            });
            JPEGImageReaderSpi spi = new JPEGImageReaderSpi();
            spi.onRegistration(registry, ImageReaderSpi.class);
            return spi;
        }
    }

    private static ImageReader jdkReader(String format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            // The JDK's own reader: always present, never a plugin from another class loader.
            if (reader.getClass().getName().startsWith("com.sun.imageio.")) {
                return reader;
            }
        }
        throw new IllegalStateException("the JDK has no " + format + " reader");
    }

    private static boolean starts(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
