package org.imagestream.inference;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.metrics.Counter;
import org.imagestream.model.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which model serves each domain in one classify subtask: the starting version (for a model root,
 * its newest usable one, never older than the version serving at the restored checkpoint, see
 * {@link ServingVersions}) and hot roll-outs: a newer version in a watched root is loaded and
 * warmed off the task thread, and swapped in on it, between batches. A version that fails to load
 * or would need other decoded input is rejected (the old one keeps serving) and not retried until a
 * newer one appears. Plain Java; its operator calls {@link #poll} from a timer and closes it.
 */
final class ModelRollout implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRollout.class);

    /** Runs a domain's pending images through the model still serving, before a swap. */
    @FunctionalInterface
    interface Flush {
        void flush(Domain domain) throws Exception;
    }

    private final Map<Domain, String> modelRoots;
    private final int tensorflowThreads;
    private final Counter swaps;
    private final Counter loadFailures;
    private final EnumMap<Domain, SavedModelClassifier> classifiers = new EnumMap<>(Domain.class);
    private final Set<Path> rejected = new HashSet<>();

    /** Loads new versions off the task thread (null when no root is watched). */
    private final ExecutorService loader;

    private Future<SavedModelClassifier> loading;
    private Domain loadingDomain;
    private Path loadingDirectory;

    /**
     * Opens every domain's starting model; closes what it opened if one fails.
     *
     * @param modelRoots per domain, a model root whose versions are served; others keep the
     *     submitted directory
     * @param servingAtCheckpoint per domain, the highest version serving at the restored checkpoint
     * @param watch whether roots are polled for newer versions
     */
    ModelRollout(
            Map<Domain, ModelSpec> submitted,
            Map<Domain, String> modelRoots,
            Map<Domain, Long> servingAtCheckpoint,
            int tensorflowThreads,
            boolean watch,
            Counter swaps,
            Counter loadFailures)
            throws IOException {
        this.modelRoots = modelRoots;
        this.tensorflowThreads = tensorflowThreads;
        this.swaps = swaps;
        this.loadFailures = loadFailures;
        try {
            for (Map.Entry<Domain, ModelSpec> entry : submitted.entrySet()) {
                classifiers.put(
                        entry.getKey(),
                        startingModel(
                                entry.getKey(),
                                entry.getValue(),
                                servingAtCheckpoint.get(entry.getKey())));
            }
        } catch (RuntimeException | IOException e) {
            close();
            throw e;
        }
        this.loader =
                watch && !modelRoots.isEmpty()
                        ? Executors.newSingleThreadExecutor(
                                runnable -> {
                                    Thread thread = new Thread(runnable, "model-loader");
                                    thread.setDaemon(true);
                                    return thread;
                                })
                        : null;
    }

    /** Whether roots are watched (the operator then schedules {@link #poll}). */
    boolean watching() {
        return loader != null;
    }

    /** The model serving a domain now. */
    SavedModelClassifier classifier(Domain domain) {
        return classifiers.get(domain);
    }

    /** Every serving model, by domain (for the checkpoint's record of versions). */
    Map<Domain, SavedModelClassifier> serving() {
        return classifiers;
    }

    /**
     * The model a domain starts with: for a model root, its newest usable version, never older than
     * the one serving at the restored checkpoint while one is left; a fixed model directory as
     * configured.
     */
    private SavedModelClassifier startingModel(Domain domain, ModelSpec submitted, Long floor)
            throws IOException {
        String root = modelRoots.get(domain);
        if (root == null) {
            return SavedModelClassifier.open(submitted, tensorflowThreads);
        }
        RuntimeException lastFailure = null;
        for (ModelSpec spec :
                ServingVersions.candidates(
                        submitted,
                        Path.of(root),
                        floor == null ? OptionalLong.empty() : OptionalLong.of(floor))) {
            try {
                SavedModelClassifier classifier =
                        SavedModelClassifier.open(spec, tensorflowThreads);
                if (!spec.directory().equals(submitted.directory())) {
                    LOG.info(
                            "Starting {} with {} (submitted with {}, serving at the checkpoint: {})",
                            domain.id(),
                            spec,
                            submitted,
                            floor == null ? "none" : floor);
                }
                return classifier;
            } catch (RuntimeException e) {
                // A version that does not load (the hot swap rejected it while the job ran) must
                // not stop every restart: try the next older one.
                LOG.error(
                        "Model {} for {} does not load; trying an older version",
                        spec,
                        domain.id(),
                        e);
                lastFailure = e;
            }
        }
        throw lastFailure;
    }

    /**
     * Runs on the task thread. Finishes a background load (swap on success, after {@code flush} of
     * the domain's pending images; keep the old model on failure) or starts one when a watched root
     * has a version newer than the one serving.
     */
    void poll(Flush flush) throws Exception {
        if (loading != null) {
            if (!loading.isDone()) {
                return;
            }
            Domain domain = loadingDomain;
            Path directory = loadingDirectory;
            Future<SavedModelClassifier> loaded = loading;
            loading = null;
            try {
                swap(domain, loaded.get(), flush);
            } catch (ExecutionException e) {
                rejected.add(directory);
                loadFailures.inc();
                LOG.error(
                        "Model {} for {} was not rolled out; {} keeps serving",
                        directory,
                        domain.id(),
                        classifiers.get(domain).spec(),
                        e.getCause());
            }
            return;
        }
        for (Map.Entry<Domain, String> root : modelRoots.entrySet()) {
            Domain domain = root.getKey();
            Path latest;
            try {
                latest = ModelDirectory.latestVersion(Path.of(root.getValue())).orElse(null);
            } catch (IOException e) {
                LOG.warn("Cannot list model root {}: {}", root.getValue(), e.toString());
                continue;
            }
            ModelSpec serving = classifiers.get(domain).spec();
            if (latest == null
                    || rejected.contains(latest)
                    || latest.toAbsolutePath().toString().equals(serving.directory())) {
                continue;
            }
            LOG.info("Loading {} model {} (serving {})", domain.id(), latest, serving);
            loadingDomain = domain;
            loadingDirectory = latest;
            loading = loader.submit(() -> loadReplacement(serving, latest));
            return; // one load at a time
        }
    }

    /** Loads and warms a new version; refuses one whose decoded input would differ. */
    private SavedModelClassifier loadReplacement(ModelSpec serving, Path directory)
            throws IOException {
        ModelSpec spec = ModelSpec.load(directory);
        if (!spec.sameInputAs(serving)) {
            throw new IllegalArgumentException(
                    "new version expects input "
                            + spec
                            + " but images are decoded for "
                            + serving
                            + "; a change of input geometry, bands or normalisation needs a job"
                            + " restart");
        }
        if (!spec.labels().equals(serving.labels())) {
            LOG.info(
                    "Model {} changes labels from {} to {}", spec, serving.labels(), spec.labels());
        }
        return SavedModelClassifier.open(spec, tensorflowThreads);
    }

    /** Between batches: the old model's pending images go first, then the new one serves. */
    private void swap(Domain domain, SavedModelClassifier replacement, Flush flush)
            throws Exception {
        flush.flush(domain);
        SavedModelClassifier old = classifiers.put(domain, replacement);
        swaps.inc();
        LOG.info("Rolled out {} model {} (was {})", domain.id(), replacement.spec(), old.spec());
        old.close();
    }

    /** Test hook: waits for a background load to finish (the next poll applies it). */
    void awaitLoad() throws Exception {
        if (loading != null) {
            try {
                loading.get();
            } catch (ExecutionException expected) {
                // applied (as a rejection) by the next poll
            }
        }
    }

    @Override
    public void close() {
        if (loader != null) {
            loader.shutdownNow();
            if (loading != null) {
                try {
                    loading.get().close(); // loaded but never swapped in
                } catch (Exception ignored) {
                    // a failed or interrupted load holds nothing to close
                }
            }
        }
        classifiers.values().forEach(SavedModelClassifier::close);
        classifiers.clear();
    }
}
