package org.imagestream.decode;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.imagestream.model.Domain;
import org.imagestream.samples.DicomWriter;
import org.imagestream.samples.SyntheticScenes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a DICOM record costs in each stage, single thread, microseconds per file: the prepare
 * stage's de-identification of the original (its header walk, the allow-list rewrite and the
 * cleared pixel bits), then, after the shuffle, the decoder's walk of the de-identified copy's
 * header alone ({@code headerWalk}: the file meta group and the data set up to the pixel data, the
 * work passing the first stage's reading across the shuffle would save) and its whole decode to the
 * model tensor, that walk included. The file is the end-to-end benchmark's 512x512 16-bit CT slice.
 * Run: {@code mvn -q test-compile exec:exec@jmh -Djmh.args="DicomStagesBenchmark"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DicomStagesBenchmark {
    private final DicomDeidentifier deidentifier =
            new DicomDeidentifier(new byte[] {1, 2, 3}, DecodeLimits.DEFAULT);
    private final ModelInput modelInput = new ModelInput(128, 128, 1);
    private byte[] original;
    private byte[] deidentified;

    @Setup
    public void setUp() throws Exception {
        short[] slice = SyntheticScenes.medicalSlice(1, 512, new Random(7));
        original = DicomWriter.writeCt(slice, 512, 512, 40, 400, -1024, 1);
        deidentified = deidentifier.deidentify(original);
    }

    @Benchmark
    public byte[] deidentify() throws DecodeException {
        return deidentifier.deidentify(original);
    }

    @Benchmark
    public DicomHeader headerWalk() throws DecodeException {
        DicomFileMeta.Readable readable = DicomFileMeta.open(deidentified, DecodeLimits.DEFAULT);
        return DicomHeader.read(
                readable.bytes(), readable.datasetOffset(), readable.transferSyntax());
    }

    @Benchmark
    public DecodedPixels decode() throws Exception {
        return ImageDecoders.decode(
                Domain.MEDICAL, deidentified, modelInput, DecodeLimits.DEFAULT, null);
    }
}
