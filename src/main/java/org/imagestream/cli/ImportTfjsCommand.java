package org.imagestream.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.imagestream.training.TfjsImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code import-tfjs}: a TF.js graph model (e.g. nsfwjs' {@code mobilenet_v2_mid} from the npm
 * registry) converted into a SavedModel + {@code model.json} that the job serves.
 */
@Command(
        name = "import-tfjs",
        mixinStandardHelpOptions = true,
        description =
                "Convert a TensorFlow.js graph model (model.json + shards, or an npm bundle's"
                        + " model.min.js + .min.js shards) into a SavedModel with model.json.")
final class ImportTfjsCommand implements Callable<Integer> {
    @Option(names = "--model-dir", required = true, description = "Directory of the TF.js model.")
    Path modelDirectory;

    @Option(
            names = "--output",
            required = true,
            description = "Model root to export into; receives <version>/.")
    Path output;

    @Option(
            names = "--domain",
            defaultValue = "social",
            description = "Domain it serves (default: ${DEFAULT-VALUE}).")
    String domain;

    @Option(names = "--name", required = true, description = "Model name recorded in results.")
    String name;

    @Option(
            names = "--version-name",
            defaultValue = "1",
            description = "Version, also the directory name (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(
            names = "--labels",
            required = true,
            split = ",",
            description = "Class names in output order, comma-separated.")
    List<String> labels;

    @Option(
            names = "--size",
            defaultValue = "224",
            description = "Input height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Override
    public Integer call() throws Exception {
        ModelSpec spec =
                TfjsImporter.convert(
                        modelDirectory,
                        output.resolve(version),
                        new TfjsImporter.Target(
                                Domain.fromId(domain), name, version, labels, size));
        System.out.printf("Exported %s to %s%n", spec, spec.directory());
        return 0;
    }
}
