package org.imagestream.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imagestream.samples.SampleImages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code samples}: writes generated images of all three domains (PNG/JPEG photos of shapes, 13-band
 * 16-bit GeoTIFF patches, 16-bit DICOM slices) as files, one folder per domain, for {@code
 * produce}. The label each was generated from is part of its file name.
 */
@Command(
        name = "samples",
        mixinStandardHelpOptions = true,
        description = "Write generated sample images of every domain into a folder, for 'produce'.")
final class SamplesCommand implements Callable<Integer> {
    @Option(names = "--output", required = true, description = "Folder to write into.")
    Path output;

    @Option(
            names = "--per-domain",
            defaultValue = "20",
            description = "Images per domain (default: ${DEFAULT-VALUE}).")
    int perDomain;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        int written = 0;
        for (SampleImages.Sample sample : SampleImages.mixed(perDomain, seed)) {
            Path file = output.resolve(sample.domain().id()).resolve(sample.fileName());
            Files.createDirectories(file.getParent());
            Files.write(file, sample.bytes());
            written++;
        }
        System.out.printf("Wrote %d images under %s%n", written, output);
        return 0;
    }
}
