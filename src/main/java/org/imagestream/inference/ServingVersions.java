package org.imagestream.inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.imagestream.model.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which version of a model root a classify subtask serves when it (re)starts. Not the version
 * resolved when the job was submitted: after a roll-out that version is older than what served
 * before a failure (replayed images would regress to it), and it may have been pruned since (the
 * job could then never restart). Instead the newest version in the root whose spec is readable and
 * whose input matches what the decode stage produces; a version older than the one that was serving
 * at the restored checkpoint is only taken when nothing at or above it is left (an operator rolled
 * back by deleting versions), with a warning.
 */
final class ServingVersions {
    private static final Logger LOG = LoggerFactory.getLogger(ServingVersions.class);

    private ServingVersions() {}

    /**
     * The classify operator's union state entries for the models serving now, one {@code
     * domain=directory} each.
     */
    static List<String> entries(Map<Domain, SavedModelClassifier> serving) {
        List<String> entries = new ArrayList<>();
        for (Map.Entry<Domain, SavedModelClassifier> model : serving.entrySet()) {
            entries.add(model.getKey().id() + "=" + model.getValue().spec().directory());
        }
        return entries;
    }

    /**
     * Per domain, the highest version any subtask served at the restored checkpoint (union state:
     * every subtask sees every entry).
     */
    static EnumMap<Domain, Long> restore(Iterable<String> entries) {
        EnumMap<Domain, Long> serving = new EnumMap<>(Domain.class);
        for (String entry : entries) {
            int split = entry.indexOf('=');
            Domain domain = Domain.fromId(entry.substring(0, split));
            versionOf(entry.substring(split + 1))
                    .ifPresent(version -> serving.merge(domain, version, Math::max));
        }
        return serving;
    }

    /**
     * Every usable version of the root, newest first, for the caller to try in turn: a version
     * whose spec reads but whose SavedModel fails to load must not stop a restart (the hot swap
     * rejected it while the job ran; a restart would otherwise fail on it every time).
     */
    static List<ModelSpec> candidates(
            ModelSpec submitted, Path root, OptionalLong servingAtCheckpoint) throws IOException {
        List<Path> versions;
        try (Stream<Path> children = Files.list(root)) {
            versions =
                    children.filter(ServingVersions::isVersion)
                            .sorted(Comparator.comparingLong(ServingVersions::number).reversed())
                            .toList();
        }
        List<ModelSpec> usable = new java.util.ArrayList<>();
        for (Path version : versions) {
            readable(version, submitted).ifPresent(usable::add);
        }
        if (usable.isEmpty()) {
            throw new IOException(
                    "Model root "
                            + root
                            + " has no version with a readable "
                            + ModelSpec.FILE_NAME
                            + " for input "
                            + submitted);
        }
        if (servingAtCheckpoint.isPresent()
                && versionOf(usable.get(0).directory()).orElse(Long.MAX_VALUE)
                        < servingAtCheckpoint.getAsLong()) {
            LOG.warn(
                    "Model root {} has no usable version at or above {}, which was serving at"
                            + " the restored checkpoint; serving {} (a roll-back)",
                    root,
                    servingAtCheckpoint.getAsLong(),
                    usable.get(0).directory());
        }
        return usable;
    }

    /** The version number of a directory inside a model root, if it is one. */
    static OptionalLong versionOf(String directory) {
        Path path = Path.of(directory);
        return isVersionName(path.getFileName().toString())
                ? OptionalLong.of(number(path))
                : OptionalLong.empty();
    }

    private static Optional<ModelSpec> readable(Path version, ModelSpec submitted) {
        if (!Files.isRegularFile(version.resolve(ModelSpec.FILE_NAME))) {
            return Optional.empty();
        }
        try {
            ModelSpec spec = ModelSpec.load(version);
            if (!spec.sameInputAs(submitted)) {
                LOG.warn(
                        "Skipping model {}: it expects {} but images are decoded for {}",
                        version,
                        spec,
                        submitted);
                return Optional.empty();
            }
            return Optional.of(spec);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Skipping model {}: {}", version, e.toString());
            return Optional.empty();
        }
    }

    private static boolean isVersion(Path path) {
        return Files.isDirectory(path) && isVersionName(path.getFileName().toString());
    }

    private static boolean isVersionName(String name) {
        return !name.isEmpty() && name.length() < 19 && name.chars().allMatch(Character::isDigit);
    }

    private static long number(Path path) {
        return Long.parseLong(path.getFileName().toString());
    }
}
