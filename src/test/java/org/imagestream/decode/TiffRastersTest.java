package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TiffRastersTest {
    /** Every GDAL reference file (GeoTiffReferenceTest's), at every image its chain holds. */
    static Stream<String> gdalFiles() throws IOException {
        return new String(resource("layouts.txt"), StandardCharsets.US_ASCII)
                .lines()
                .map(line -> line.split(" ")[0] + ".tif");
    }

    /**
     * Against TwelveMonkeys' own {@code readRaster} on the same file: the same sample model and
     * every sample equal, for each image of the file (a cloud-optimised GeoTIFF's overviews too),
     * whole and read every second sample of every second row.
     */
    @ParameterizedTest
    @MethodSource("gdalFiles")
    void shouldReturnWhatReadRasterReturns(String file) throws Exception {
        byte[] tiff = resource(file);
        TiffDirectory.Chain chain = TiffDirectory.read(ByteBuffer.wrap(tiff));
        int images = chain.directories().size();
        assertThat(images).isPositive();
        for (int i = 0; i < images; i++) {
            int image = i;
            for (int each : new int[] {1, 2}) {
                int step = each;
                String what = file + " image " + image + " step " + step;
                TiffDirectory directory = TiffRasters.directory(chain, image);
                Raster expected;
                try {
                    expected = read(tiff, image, step, null);
                } catch (RuntimeException refused) {
                    // TwelveMonkeys 3.12 fails some subsampled float strips: the same failure.
                    assertThatThrownBy(() -> read(tiff, image, step, directory))
                            .as(what)
                            .isInstanceOf(refused.getClass());
                    continue;
                }
                Raster ours = read(tiff, image, step, directory);
                assertThat(ours.getSampleModel().getClass())
                        .as(what)
                        .isEqualTo(expected.getSampleModel().getClass());
                assertThat(ours.getNumBands()).as(what).isEqualTo(expected.getNumBands());
                assertThat(ours.getWidth()).as(what).isEqualTo(expected.getWidth());
                assertThat(ours.getHeight()).as(what).isEqualTo(expected.getHeight());
                assertThat(samples(ours)).as(what).containsExactly(samples(expected));
            }
        }
    }

    /**
     * A 16-bit and an 8-bit single-band TIFF written here, sample by sample, as WhiteIsZero (which
     * TwelveMonkeys' {@code read} would invert), BlackIsZero and without the tag: each must read as
     * the samples written.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, -1})
    void shouldReadTheSamplesAsStoredWhateverThePhotometricInterpretation(int photometric)
            throws Exception {
        for (int bits : new int[] {8, 16}) {
            int width = 5;
            int height = 3;
            int[] written = new int[width * height];
            for (int i = 0; i < written.length; i++) {
                written[i] = (i * 7919 + 13) & ((1 << bits) - 1);
            }
            byte[] tiff = singleBandTiff(width, height, bits, photometric, written);
            Raster raster = read(tiff, 0, 1, TiffDirectory.read(ByteBuffer.wrap(tiff)).first());
            int[] read = raster.getSamples(0, 0, width, height, 0, (int[]) null);
            assertThat(read)
                    .as("%d bits, photometric %d", bits, photometric)
                    .containsExactly(written);
        }
    }

    /**
     * 32-bit float samples outside [0, 1] (which TwelveMonkeys' {@code read} clamps, whatever the
     * photometric interpretation), BlackIsZero: each must read as written.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 0})
    void shouldKeepFloatSamplesOutsideZeroToOne(int photometric) throws Exception {
        float[] written = {-2.5f, 0f, 0.25f, 1f, 1.5f, 1000f, -0.001f, 3.75f};
        byte[] tiff = floatTiff(4, 2, photometric, written);
        Raster raster = read(tiff, 0, 1, TiffDirectory.read(ByteBuffer.wrap(tiff)).first());
        float[] read = raster.getSamples(0, 0, 4, 2, 0, (float[]) null);
        assertThat(read).as("photometric %d", photometric).containsExactly(written);
    }

    private static Raster read(byte[] tiff, int image, int step, TiffDirectory directory)
            throws IOException {
        ImageReader reader = new TIFFImageReaderSpi().createReaderInstance();
        try (ImageInputStream stream =
                ImageIO.createImageInputStream(new ByteArrayInputStream(tiff))) {
            reader.setInput(stream);
            ImageReadParam param = reader.getDefaultReadParam();
            if (step > 1) {
                param.setSourceSubsampling(step, step, 0, 0);
            }
            return directory == null
                    ? reader.readRaster(image, param)
                    : TiffRasters.read(
                            reader,
                            image,
                            param,
                            TiffRasters.readKeepsSamples(directory, reader.getRawImageType(image)));
        } finally {
            reader.dispose();
        }
    }

    private static double[] samples(Raster raster) {
        return raster.getPixels(
                raster.getMinX(),
                raster.getMinY(),
                raster.getWidth(),
                raster.getHeight(),
                (double[]) null);
    }

    /**
     * A little-endian classic TIFF, one uncompressed strip of unsigned samples, written from the
     * TIFF 6.0 specification (photometric -1: the tag left out).
     */
    private static byte[] singleBandTiff(
            int width, int height, int bits, int photometric, int[] samples) {
        ByteBuffer data = ByteBuffer.allocate(samples.length * bits / 8);
        data.order(ByteOrder.LITTLE_ENDIAN);
        for (int sample : samples) {
            if (bits == 8) {
                data.put((byte) sample);
            } else {
                data.putShort((short) sample);
            }
        }
        return singleBandTiff(width, height, bits, photometric, false, data.array());
    }

    /** As above, of 32-bit IEEE floats (SampleFormat 3). */
    private static byte[] floatTiff(int width, int height, int photometric, float[] samples) {
        ByteBuffer data = ByteBuffer.allocate(samples.length * Float.BYTES);
        data.order(ByteOrder.LITTLE_ENDIAN);
        for (float sample : samples) {
            data.putFloat(sample);
        }
        return singleBandTiff(width, height, 32, photometric, true, data.array());
    }

    /** The file around {@code data}, the samples as little-endian bytes. */
    private static byte[] singleBandTiff(
            int width, int height, int bits, int photometric, boolean floats, byte[] data) {
        int entries = 8 + (photometric < 0 ? 0 : 1) + (floats ? 1 : 0);
        int ifdAt = 8;
        int dataAt = ifdAt + 2 + entries * 12 + 4;
        ByteBuffer out = ByteBuffer.allocate(dataAt + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifdAt);
        out.putShort((short) entries);
        entry(out, 256, width); // ImageWidth
        entry(out, 257, height); // ImageLength
        entry(out, 258, bits); // BitsPerSample
        entry(out, 259, 1); // Compression: none
        if (photometric >= 0) {
            entry(out, 262, photometric); // PhotometricInterpretation
        }
        entry(out, 273, dataAt); // StripOffsets
        entry(out, 277, 1); // SamplesPerPixel
        entry(out, 278, height); // RowsPerStrip
        entry(out, 279, data.length); // StripByteCounts
        if (floats) {
            entry(out, 339, 3); // SampleFormat: IEEE floating point
        }
        out.putInt(0); // no next directory
        out.put(data);
        return out.array();
    }

    /** One directory entry of one LONG value (SHORT for the tags that must be SHORT). */
    private static void entry(ByteBuffer out, int tag, int value) {
        boolean isShort = tag == 258 || tag == 259 || tag == 262 || tag == 277 || tag == 339;
        out.putShort((short) tag).putShort((short) (isShort ? 3 : 4)).putInt(1);
        if (isShort) {
            out.putShort((short) value).putShort((short) 0);
        } else {
            out.putInt(value);
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = TiffRastersTest.class.getResourceAsStream("/geotiff/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
