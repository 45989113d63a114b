package org.imagestream.inference;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.imagestream.model.Domain;

/**
 * Describes one domain's model: where its SavedModel lives, which signature and tensors to use, the
 * input geometry and the labels. Stored as {@code model.properties} next to the SavedModel so a
 * model directory is self-describing; validated on load with messages that say what to fix.
 */
public final class ModelSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String FILE_NAME = "model.properties";

    private final Domain domain;
    private final String directory;
    private final String name;
    private final String version;
    private final String signatureKey;
    private final String inputName;
    private final String outputName;
    private final int height;
    private final int width;
    private final int channels;
    private final List<String> labels;
    private final int topK;

    private ModelSpec(Builder builder) {
        this.domain = builder.domain;
        this.directory = builder.directory;
        this.name = builder.name;
        this.version = builder.version;
        this.signatureKey = builder.signatureKey;
        this.inputName = builder.inputName;
        this.outputName = builder.outputName;
        this.height = builder.height;
        this.width = builder.width;
        this.channels = builder.channels;
        this.labels = List.copyOf(builder.labels);
        this.topK = builder.topK;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Domain domain() {
        return domain;
    }

    public String directory() {
        return directory;
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    public String signatureKey() {
        return signatureKey;
    }

    public String inputName() {
        return inputName;
    }

    public String outputName() {
        return outputName;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int channels() {
        return channels;
    }

    public List<String> labels() {
        return labels;
    }

    public int topK() {
        return topK;
    }

    /** Reads {@code model.properties} from a model directory. */
    public static ModelSpec load(Path modelDirectory) throws IOException {
        Path file = modelDirectory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "No "
                            + FILE_NAME
                            + " in model directory "
                            + modelDirectory
                            + "; train one with 'imagestream train' or point the job at a directory"
                            + " that holds a SavedModel and its spec");
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        try {
            return builder()
                    .domain(Domain.fromId(required(properties, "domain", file)))
                    .directory(modelDirectory.toAbsolutePath().toString())
                    .name(required(properties, "name", file))
                    .version(required(properties, "version", file))
                    .signatureKey(properties.getProperty("signature", "serving_default"))
                    .inputName(properties.getProperty("input", "image"))
                    .outputName(properties.getProperty("output", "probabilities"))
                    .height(Integer.parseInt(required(properties, "height", file)))
                    .width(Integer.parseInt(required(properties, "width", file)))
                    .channels(Integer.parseInt(required(properties, "channels", file)))
                    .labels(Arrays.asList(required(properties, "labels", file).split(",")))
                    .topK(Integer.parseInt(properties.getProperty("top-k", "3")))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid model spec " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this spec as {@code model.properties} into {@code modelDirectory}. */
    public void store(Path modelDirectory) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("domain", domain.id());
        properties.setProperty("name", name);
        properties.setProperty("version", version);
        properties.setProperty("signature", signatureKey);
        properties.setProperty("input", inputName);
        properties.setProperty("output", outputName);
        properties.setProperty("height", Integer.toString(height));
        properties.setProperty("width", Integer.toString(width));
        properties.setProperty("channels", Integer.toString(channels));
        properties.setProperty("labels", String.join(",", labels));
        properties.setProperty("top-k", Integer.toString(topK));
        try (OutputStream out = Files.newOutputStream(modelDirectory.resolve(FILE_NAME))) {
            properties.store(out, "imagestream model spec");
        }
    }

    private static String required(Properties properties, String key, Path file) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing required key '" + key + "' in " + file);
        }
        return value.trim();
    }

    @Override
    public String toString() {
        return name
                + ":"
                + version
                + " ("
                + domain.id()
                + ", "
                + height
                + "x"
                + width
                + "x"
                + channels
                + ", labels="
                + labels
                + ")";
    }

    /** Builder; {@link #build()} validates and explains what is wrong. */
    public static final class Builder {
        private Domain domain;
        private String directory;
        private String name;
        private String version;
        private String signatureKey = "serving_default";
        private String inputName = "image";
        private String outputName = "probabilities";
        private int height;
        private int width;
        private int channels;
        private List<String> labels = new ArrayList<>();
        private int topK = 3;

        public Builder domain(Domain domain) {
            this.domain = domain;
            return this;
        }

        public Builder directory(String directory) {
            this.directory = directory;
            return this;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder version(String version) {
            this.version = version;
            return this;
        }

        public Builder signatureKey(String signatureKey) {
            this.signatureKey = signatureKey;
            return this;
        }

        public Builder inputName(String inputName) {
            this.inputName = inputName;
            return this;
        }

        public Builder outputName(String outputName) {
            this.outputName = outputName;
            return this;
        }

        public Builder height(int height) {
            this.height = height;
            return this;
        }

        public Builder width(int width) {
            this.width = width;
            return this;
        }

        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        public Builder labels(List<String> labels) {
            this.labels = new ArrayList<>();
            for (String label : labels) {
                this.labels.add(label.trim());
            }
            return this;
        }

        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        public ModelSpec build() {
            Objects.requireNonNull(domain, "domain must be set (social, remote-sensing, medical)");
            Objects.requireNonNull(directory, "directory of the SavedModel must be set");
            if (name == null || name.isBlank() || version == null || version.isBlank()) {
                throw new IllegalArgumentException("model name and version must both be set");
            }
            if (height <= 0 || width <= 0 || channels <= 0) {
                throw new IllegalArgumentException(
                        "input geometry must be positive, got height="
                                + height
                                + " width="
                                + width
                                + " channels="
                                + channels);
            }
            if (labels.size() < 2 || labels.stream().anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException(
                        "labels must list at least two non-empty class names, got " + labels);
            }
            if (topK < 1 || topK > labels.size()) {
                throw new IllegalArgumentException(
                        "top-k must be between 1 and the number of labels ("
                                + labels.size()
                                + "), got "
                                + topK);
            }
            return new ModelSpec(this);
        }
    }
}
