package org.imagestream.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.imagestream.model.Domain;
import org.imagestream.training.CnnTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: trains the seed CNN for one or all domains and exports SavedModels with specs. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Train the seed CNN on generated data and export a SavedModel + model.json.")
final class TrainCommand implements Callable<Integer> {
    @Option(
            names = "--domain",
            description = "Domain to train (social, remote-sensing, medical); all when omitted.")
    String domain;

    @Option(
            names = "--output",
            required = true,
            description = "Directory to export into; receives <domain>/<version>/.")
    Path output;

    @Option(
            names = "--version-name",
            defaultValue = "1",
            description = "Model version recorded in the spec (default: ${DEFAULT-VALUE}).")
    String versionName;

    @Option(
            names = "--train-images",
            defaultValue = "3000",
            description = "Generated training images (default: ${DEFAULT-VALUE}).")
    int trainImages;

    @Option(
            names = "--test-images",
            defaultValue = "600",
            description = "Generated held-out images (default: ${DEFAULT-VALUE}).")
    int testImages;

    @Option(
            names = "--epochs",
            defaultValue = "4",
            description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Random seed for data and weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        List<Domain> domains =
                domain == null ? List.of(Domain.values()) : List.of(Domain.fromId(domain));
        CnnTrainer.Settings settings =
                new CnnTrainer.Settings(trainImages, testImages, epochs, 64, 0.002f, seed);
        for (Domain d : domains) {
            Path target = output.resolve(d.id()).resolve(versionName);
            if (Files.exists(target)) {
                System.err.println("Refusing to overwrite existing model directory " + target);
                return 2;
            }
            Files.createDirectories(target.getParent());
            CnnTrainer.Outcome outcome =
                    CnnTrainer.trainAndExport(d, target, versionName, settings);
            System.out.printf(
                    "%s: held-out accuracy %.1f%% (chance %.1f%%) in %d ms -> %s%n",
                    outcome.spec().name(),
                    outcome.testAccuracy() * 100,
                    100.0 / outcome.spec().labels().size(),
                    outcome.trainMillis(),
                    target);
            printConfusion(outcome);
        }
        return 0;
    }

    private static void printConfusion(CnnTrainer.Outcome outcome) {
        List<String> labels = outcome.spec().labels();
        System.out.println("confusion (rows: true, columns: predicted)");
        StringBuilder header = new StringBuilder(String.format("%12s", ""));
        for (String label : labels) {
            header.append(String.format("%10s", label));
        }
        System.out.println(header);
        for (int i = 0; i < labels.size(); i++) {
            StringBuilder row = new StringBuilder(String.format("%12s", labels.get(i)));
            for (int j = 0; j < labels.size(); j++) {
                row.append(String.format("%10d", outcome.confusion()[i][j]));
            }
            System.out.println(row);
        }
    }
}
