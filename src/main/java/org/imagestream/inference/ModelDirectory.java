package org.imagestream.inference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where a domain's model lives. A configured {@code model.<domain>.dir} is either one model
 * directory (a SavedModel plus {@value ModelSpec#FILE_NAME}), served until the job restarts, or a
 * <em>model root</em> in TensorFlow Serving's layout: numbered version subdirectories, of which the
 * highest complete one (it has a {@value ModelSpec#FILE_NAME}) is served and newer ones are picked
 * up while the job runs. Publish a version by writing it elsewhere and renaming it into the root,
 * so a half-copied model is never seen.
 */
public final class ModelDirectory {
    private ModelDirectory() {}

    /** True when {@code configured} is a model root (no spec of its own). */
    public static boolean isVersionRoot(Path configured) {
        return Files.isDirectory(configured)
                && !Files.isRegularFile(configured.resolve(ModelSpec.FILE_NAME));
    }

    /** The directory to serve now: {@code configured} itself, or its highest version. */
    public static Path current(Path configured) throws IOException {
        if (!isVersionRoot(configured)) {
            return configured;
        }
        return latestVersion(configured)
                .orElseThrow(
                        () ->
                                new IOException(
                                        "Model directory "
                                                + configured
                                                + " has neither a "
                                                + ModelSpec.FILE_NAME
                                                + " nor numbered version subdirectories with one"));
    }

    /** The highest numbered subdirectory that holds a model spec, if any. */
    public static Optional<Path> latestVersion(Path root) throws IOException {
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(ModelDirectory::isVersion)
                    .filter(dir -> Files.isRegularFile(dir.resolve(ModelSpec.FILE_NAME)))
                    .max(Comparator.comparingLong(dir -> Long.parseLong(name(dir))));
        }
    }

    private static boolean isVersion(Path path) {
        String name = name(path);
        return Files.isDirectory(path)
                && !name.isEmpty()
                && name.length() < 19
                && name.chars().allMatch(Character::isDigit);
    }

    private static String name(Path path) {
        return path.getFileName().toString();
    }
}
