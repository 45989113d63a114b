package org.imagestream.benchmarks;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DecodedPixels;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.decode.ModelInput;
import org.imagestream.decode.TfJpegDecoder;
import org.imagestream.model.Domain;
import org.imagestream.samples.DicomWriter;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SyntheticScenes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decodes per second, single thread, from encoded bytes to the model tensor (header checks,
 * decoding, orientation, scaling, resampling): a 640x480 photo as JPEG and PNG to 224x224x3, a
 * 13-band 16-bit 64x64 GeoTIFF to 64x64x13, a 512x512 13-band scene cut into 64 tiles of 64x64x13,
 * a 512x512 16-bit CT slice to 128x128x1, reference DICOM files (one image deflated, in JPEG
 * extended and in JPEG-LS; a 12-bit JPEG) to 128x128x1; the JPEG through ImageIO and through
 * TensorFlow's DecodeJpeg. Run: {@code mvn -q test-compile exec:exec@jmh
 * -Djmh.args="DecoderBenchmark"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecoderBenchmark {
    @Param({
        "jpeg-640x480",
        "jpeg-640x480-tensorflow",
        "jpeg-2048x1536",
        "jpeg-2048x1536-tensorflow",
        "png-640x480",
        "geotiff-64x64x13",
        "geotiff-512x512x13-tiled",
        "dicom-512x512",
        "dicom-file-image_dfl",
        "dicom-file-image_dfl_jpeg_extended",
        "dicom-file-image_dfl_jpeg_ls_near",
        "dicom-file-JPEG-lossy"
    })
    String input;

    private Domain domain;
    private byte[] bytes;
    private ModelInput modelInput;
    private TfJpegDecoder jpeg;

    @Setup
    public void setUp() throws Exception {
        Random random = new Random(7);
        switch (input) {
            case "jpeg-640x480",
                    "jpeg-640x480-tensorflow",
                    "png-640x480",
                    "jpeg-2048x1536",
                    "jpeg-2048x1536-tensorflow" -> {
                int width = input.contains("2048") ? 2048 : 640;
                int height = width * 3 / 4;
                // Sensor-like noise, so the file has a photo's size (~300 KB at 2048x1536).
                BufferedImage photo = SyntheticScenes.noisyPhoto(1, width, height, 4, random);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ImageIO.write(photo, input.startsWith("jpeg") ? "jpeg" : "png", out);
                bytes = out.toByteArray();
                domain = Domain.SOCIAL;
                modelInput = new ModelInput(224, 224, 3);
                jpeg = input.endsWith("-tensorflow") ? new TfJpegDecoder() : null;
            }
            case "geotiff-64x64x13" -> {
                short[] patch = SyntheticScenes.remoteSensingPatch(2, 64, random);
                bytes = GeoTiffWriter.write(patch, 64, 64, 13, 500_000, 5_800_000, 10, 32633);
                domain = Domain.REMOTE_SENSING;
                modelInput = new ModelInput(64, 64, 13);
            }
            case "geotiff-512x512x13-tiled" -> {
                // 8x8 patches of 64x64: 64 tiles of the 64x64 model input.
                short[] scene = new short[512 * 512 * 13];
                for (int tile = 0; tile < 64; tile++) {
                    short[] patch = SyntheticScenes.remoteSensingPatch(tile % 4, 64, random);
                    int x0 = tile % 8 * 64;
                    int y0 = tile / 8 * 64;
                    for (int y = 0; y < 64; y++) {
                        System.arraycopy(
                                patch, y * 64 * 13, scene, ((y0 + y) * 512 + x0) * 13, 64 * 13);
                    }
                }
                bytes = GeoTiffWriter.write(scene, 512, 512, 13, 500_000, 5_800_000, 10, 32633);
                domain = Domain.REMOTE_SENSING;
                modelInput = new ModelInput(64, 64, 13);
            }
            case "dicom-512x512" -> {
                short[] slice = SyntheticScenes.medicalSlice(1, 512, random);
                bytes = DicomWriter.writeCt(slice, 512, 512, 40, 400, -1024, 1);
                domain = Domain.MEDICAL;
                modelInput = new ModelInput(128, 128, 1);
            }
            default -> {
                if (!input.startsWith("dicom-file-")) {
                    throw new IllegalArgumentException(input);
                }
                // A reference file of src/test/resources/dicom (written by DCMTK or pydicom's
                // authors): the same 512x512 8-bit image deflated, in JPEG extended and in
                // JPEG-LS near-lossless; NEMA's 256x1024 12-bit JPEG.
                String name = "/dicom/" + input.substring("dicom-file-".length()) + ".dcm";
                try (var in = DecoderBenchmark.class.getResourceAsStream(name)) {
                    bytes = in.readAllBytes();
                }
                domain = Domain.MEDICAL;
                modelInput = new ModelInput(128, 128, 1);
            }
        }
    }

    @TearDown
    public void tearDown() {
        if (jpeg != null) {
            jpeg.close();
        }
    }

    @Benchmark
    public DecodedPixels decode() throws Exception {
        return ImageDecoders.decode(domain, bytes, modelInput, DecodeLimits.DEFAULT, jpeg);
    }
}
