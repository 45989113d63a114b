package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import org.imagestream.model.Domain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The social decoder against a reference codec on real files: every photo under {@code
 * src/test/resources/images} was written by Pillow 9.4 (libjpeg-turbo, libpng, giflib, libwebp) and
 * {@code golden.json} holds Pillow's own decode of it, upright by EXIF orientation, in 8-bit RGB
 * ({@code regenerate.sh} rebuilds both). Our decode must match pixel for pixel within the tolerance
 * given per file.
 */
class SocialDecoderReferenceTest {
    private static final JsonNode GOLDEN = readGolden();

    @ParameterizedTest(name = "{0} within +-{1}, mean {2}")
    @CsvSource({
        "rgb8.png, 0,",
        "gray16.png, 1,",
        "palette.png, 0,",
        "alpha.png, 0,",
        "first-frame.gif, 0,",
        "rgb.bmp, 0,",
        "lossless.webp, 0,",
        // Lossy VP8: TwelveMonkeys upsamples chroma differently from libwebp's "fancy"
        // upsampling, so single pixels at sharp colour edges differ by up to ~105 levels; the
        // image as a whole must still agree closely (mean difference measured: 4.2 levels).
        "lossy.webp, 255, 5.0",
        "baseline.jpg, 1,",
        "progressive.jpg, 1,",
        "cmyk.jpg, 1,",
        "orientation-1.jpg, 1,",
        "orientation-2.jpg, 1,",
        "orientation-3.jpg, 1,",
        "orientation-4.jpg, 1,",
        "orientation-5.jpg, 1,",
        "orientation-6.jpg, 1,",
        "orientation-7.jpg, 1,",
        "orientation-8.jpg, 1,",
    })
    void shouldDecodeLikeTheReferenceCodec(String file, int tolerance, Double meanTolerance)
            throws Exception {
        byte[] bytes;
        try (InputStream in = getClass().getResourceAsStream("/images/" + file)) {
            assertThat(in).as(file).isNotNull();
            bytes = in.readAllBytes();
        }
        JsonNode golden = GOLDEN.get(file);
        // Both JPEG paths: ImageIO (TwelveMonkeys) and TensorFlow's DecodeJpeg for the files it
        // takes (YCbCr/gray without ICC or Adobe marker; others fall back to ImageIO).
        for (TfJpegDecoder jpeg : new TfJpegDecoder[] {null, TENSORFLOW}) {
            BufferedImage image =
                    ImageDecoders.readSocialImage(
                            bytes,
                            DecodeLimits.DEFAULT,
                            new DecodeDeadline(DecodeLimits.DEFAULT.timeBudgetMillis()),
                            jpeg,
                            0);
            String decoder = jpeg == null ? "ImageIO" : "TensorFlow or fallback";
            JpegMarkers markers = file.endsWith(".jpg") ? JpegMarkers.scan(bytes) : null;
            if (jpeg != null && TfJpegDecoder.handles(markers)) {
                // Straight through TensorFlow: a decode error must fail here, not fall back.
                image =
                        ExifOrientation.apply(
                                jpeg.decode(bytes, markers.width(), markers.height()),
                                ExifOrientation.of(bytes));
                decoder = "TensorFlow";
            }
            assertThat(image.getWidth()).isEqualTo(golden.get("width").asInt());
            assertThat(image.getHeight()).isEqualTo(golden.get("height").asInt());
            byte[] expected = Base64.getDecoder().decode(golden.get("rgb").asText());
            int[] actual = new int[expected.length];
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y);
                    int i = (y * image.getWidth() + x) * 3;
                    actual[i] = (rgb >> 16) & 0xFF;
                    actual[i + 1] = (rgb >> 8) & 0xFF;
                    actual[i + 2] = rgb & 0xFF;
                }
            }
            assertClose(actual, expected, file + " (" + decoder + ")", tolerance, meanTolerance);

            // The job's path to the model (rows streamed upright, no full-size copy) at the
            // image's own size, so no resampling: the tensor holds the decoded samples / 255.
            int width = golden.get("width").asInt();
            int height = golden.get("height").asInt();
            float[] tensor =
                    ImageDecoders.decode(
                                    org.imagestream.model.Domain.SOCIAL,
                                    bytes,
                                    new ModelInput(height, width, 3),
                                    DecodeLimits.DEFAULT,
                                    jpeg)
                            .pixels();
            int[] scaled = new int[tensor.length];
            for (int i = 0; i < tensor.length; i++) {
                scaled[i] = Math.round(tensor[i] * 255);
            }
            assertClose(
                    scaled,
                    expected,
                    file + " as a model input (" + (jpeg == null ? "ImageIO" : "TensorFlow") + ")",
                    tolerance,
                    meanTolerance);
        }
    }

    private static void assertClose(
            int[] actual, byte[] expected, String what, int tolerance, Double meanTolerance) {
        assertThat(actual).as(what).hasSize(expected.length);
        int worst = 0;
        int worstAt = -1;
        long total = 0;
        for (int i = 0; i < expected.length; i++) {
            int difference = Math.abs(actual[i] - (expected[i] & 0xFF));
            total += difference;
            if (difference > worst) {
                worst = difference;
                worstAt = i / 3;
            }
        }
        double mean = (double) total / expected.length;
        if (meanTolerance != null) {
            assertThat(mean)
                    .as("mean channel difference in %s", what)
                    .isLessThanOrEqualTo(meanTolerance);
        }
        assertThat(worst)
                .as("largest channel difference from Pillow in %s (at pixel %d)", what, worstAt)
                .isLessThanOrEqualTo(tolerance);
    }

    /** Which JPEGs TensorFlow decodes: plain YCbCr and grayscale ones, not CMYK. */
    /**
     * The result records the photo's own upright size (Pillow's), not the size TensorFlow decoded
     * it at: a 4x4 model input lets TensorFlow decode these 64x32 JPEGs scaled down by 8.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {"baseline.jpg", "progressive.jpg", "orientation-6.jpg", "orientation-8.jpg"})
    void shouldRecordTheOriginalSizeOfAJpegDecodedScaledDown(String file) throws Exception {
        byte[] bytes;
        try (InputStream in = getClass().getResourceAsStream("/images/" + file)) {
            bytes = in.readAllBytes();
        }
        assertThat(TfJpegDecoder.handles(JpegMarkers.scan(bytes))).isTrue();
        DecodedPixels pixels =
                ImageDecoders.decode(
                        Domain.SOCIAL,
                        bytes,
                        new ModelInput(4, 4, 3),
                        DecodeLimits.DEFAULT,
                        TENSORFLOW);
        JsonNode golden = GOLDEN.get(file);
        // TensorFlow decodes it at 1/8 of its size.
        assertThat(
                        TfJpegDecoder.scaleLevel(
                                golden.get("width").asInt(), golden.get("height").asInt(), 4))
                .isEqualTo(3);
        assertThat(pixels.originalWidth()).isEqualTo(golden.get("width").asInt());
        assertThat(pixels.originalHeight()).isEqualTo(golden.get("height").asInt());
    }

    @org.junit.jupiter.api.Test
    void shouldLeaveCmykJpegsToImageIo() throws Exception {
        assertThat(TfJpegDecoder.handles(JpegMarkers.scan(resource("baseline.jpg")))).isTrue();
        assertThat(TfJpegDecoder.handles(JpegMarkers.scan(resource("progressive.jpg")))).isTrue();
        assertThat(TfJpegDecoder.handles(JpegMarkers.scan(resource("orientation-6.jpg")))).isTrue();
        assertThat(TfJpegDecoder.handles(JpegMarkers.scan(resource("cmyk.jpg")))).isFalse();
    }

    private static final TfJpegDecoder TENSORFLOW = new TfJpegDecoder();

    @org.junit.jupiter.api.AfterAll
    static void closeDecoder() {
        TENSORFLOW.close();
    }

    private static byte[] resource(String file) throws IOException {
        try (InputStream in =
                SocialDecoderReferenceTest.class.getResourceAsStream("/images/" + file)) {
            return in.readAllBytes();
        }
    }

    private static JsonNode readGolden() {
        try (InputStream in =
                SocialDecoderReferenceTest.class.getResourceAsStream("/images/golden.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
