package org.imagestream.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.io.FileUtils;
import org.imagestream.inference.ModelSpec;

/** Test helper: new versions of a trained model, for roll-out tests. */
public final class ModelVersions {
    private ModelVersions() {}

    /**
     * Copies {@code model} into {@code target} with its spec naming {@code version}; {@code broken}
     * replaces the graph with garbage (a version that must fail to load).
     */
    public static void copy(Path model, Path target, String version, boolean broken)
            throws IOException {
        FileUtils.copyDirectory(model.toFile(), target.toFile());
        Path spec = target.resolve(ModelSpec.FILE_NAME);
        String json = Files.readString(spec);
        String replaced =
                json.replaceFirst("\"version\" : \"[^\"]*\"", "\"version\" : \"" + version + "\"");
        assertThat(replaced).contains("\"version\" : \"" + version + "\"");
        Files.writeString(spec, replaced);
        if (broken) {
            Files.write(target.resolve("saved_model.pb"), new byte[] {7, 7, 7});
        }
    }

    /** As {@link #copy}, published atomically: written next to the root, renamed into it. */
    public static void publish(Path model, Path root, String version, boolean broken)
            throws IOException {
        Path staging = root.resolve(".staging-" + version);
        copy(model, staging, version, broken);
        Files.move(staging, root.resolve(version));
    }

    /**
     * As {@link #publish}, the label list reversed before the version appears in the root: the same
     * network under other names, so every top label changes and a result shows which version
     * classified it.
     */
    public static void publishWithReversedLabels(Path model, Path root, String version)
            throws IOException {
        Path staging = root.resolve(".staging-" + version);
        copy(model, staging, version, false);
        Path json = staging.resolve(ModelSpec.FILE_NAME);
        var tree =
                (com.fasterxml.jackson.databind.node.ObjectNode)
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        java.util.List<String> labels = new java.util.ArrayList<>();
        tree.withArray("labels").forEach(label -> labels.add(label.asText()));
        assertThat(labels).hasSizeGreaterThan(1);
        java.util.Collections.reverse(labels);
        var array = tree.putArray("labels");
        labels.forEach(array::add);
        Files.writeString(json, tree.toPrettyString());
        Files.move(staging, root.resolve(version));
    }

    /** A copy of a model in {@code target} whose model.json has one setting changed. */
    public static ModelSpec withSetting(ModelSpec model, Path target, String key, String value)
            throws IOException {
        copy(Path.of(model.directory()), target, model.version(), false);
        Path json = target.resolve(ModelSpec.FILE_NAME);
        var tree =
                (com.fasterxml.jackson.databind.node.ObjectNode)
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        tree.put(key, value);
        Files.writeString(json, tree.toPrettyString());
        return ModelSpec.load(target);
    }
}
