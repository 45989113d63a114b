package org.imagestream.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.util.FileUtils;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cache of trained seed models under one directory ({@code <root>/<domain>/<version>}). A model
 * is trained on first use and reused afterwards; training writes into a temporary directory that is
 * renamed into place, so a crash never leaves a half-written model behind.
 */
public final class ModelStore {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

    /** Bump when the architecture, data generator or settings change, so caches retrain. */
    public static final String SEED_MODEL_VERSION = "1";

    private ModelStore() {}

    /** Returns the spec of every domain's seed model, training the ones that are missing. */
    public static Map<Domain, ModelSpec> ensureSeedModels(Path root) throws IOException {
        Map<Domain, ModelSpec> specs = new EnumMap<>(Domain.class);
        for (Domain domain : Domain.values()) {
            specs.put(domain, ensureSeedModel(root, domain));
        }
        return specs;
    }

    public static synchronized ModelSpec ensureSeedModel(Path root, Domain domain)
            throws IOException {
        Path target = root.resolve(domain.id()).resolve(SEED_MODEL_VERSION);
        if (Files.isRegularFile(target.resolve(ModelSpec.FILE_NAME))) {
            return ModelSpec.load(target);
        }
        Files.createDirectories(target.getParent());
        // A directory without a spec is a cache from an older format or an interrupted run.
        FileUtils.deleteDirectory(target.toFile());
        Path staging = Files.createTempDirectory(target.getParent(), "training-");
        Path exportDir = staging.resolve("model");
        CnnTrainer.Outcome outcome =
                CnnTrainer.trainAndExport(
                        domain, exportDir, SEED_MODEL_VERSION, CnnTrainer.Settings.defaults());
        LOG.info(
                "Trained {} in {} ms: held-out accuracy {} (chance {})",
                outcome.spec().name(),
                outcome.trainMillis(),
                String.format("%.3f", outcome.testAccuracy()),
                String.format("%.3f", 1.0 / outcome.spec().labels().size()));
        System.out.printf(
                "Trained model %s:%s  held-out accuracy %.1f%% (chance %.1f%%)%n",
                outcome.spec().name(),
                outcome.spec().version(),
                outcome.testAccuracy() * 100,
                100.0 / outcome.spec().labels().size());
        try {
            Files.move(exportDir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(target.resolve(ModelSpec.FILE_NAME))) {
                throw e;
            }
            // Another process trained the same model concurrently; keep theirs.
        } finally {
            FileUtils.deleteDirectoryQuietly(staging.toFile());
        }
        return ModelSpec.load(target);
    }
}
