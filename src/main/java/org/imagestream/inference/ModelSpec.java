package org.imagestream.inference;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.imagestream.decode.DicomFrame;
import org.imagestream.decode.ModelInput;
import org.imagestream.decode.SceneTiling;
import org.imagestream.model.Domain;

/**
 * Describes one domain's model: where its SavedModel lives, which signature and tensors to use, the
 * input geometry, band mapping and normalisation, and the labels. Stored as {@code model.json} next
 * to the SavedModel so a model directory is self-describing; validated on load with messages that
 * say what to fix. Input and output tensor names may be omitted: {@link SavedModelClassifier} then
 * discovers them from the signature.
 */
public final class ModelSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String FILE_NAME = "model.json";

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
    private final int[] bands;
    private final float sampleScale;
    private final float[] mean;
    private final float[] std;
    private final String frame;
    private final float[] stretch;
    private final String tiling;

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
        this.bands = builder.bands == null ? null : builder.bands.clone();
        this.sampleScale = builder.sampleScale;
        this.mean = builder.mean == null ? null : builder.mean.clone();
        this.std = builder.std == null ? null : builder.std.clone();
        this.frame = builder.frame;
        this.stretch = builder.stretch == null ? null : builder.stretch.clone();
        this.tiling = builder.tiling;
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

    /**
     * Remote sensing: the 1-based source bands that become the model's channels, in order (e.g.
     * Sentinel-2 B4,B3,B2 = {@code [4, 3, 2]}); null means every band in file order.
     */
    public int[] bands() {
        return bands == null ? null : bands.clone();
    }

    /** Remote sensing: raw samples are divided by this (10000 = Sentinel-2 L2A reflectance). */
    public float sampleScale() {
        return sampleScale;
    }

    /** Per-channel mean subtracted after the domain's [0, 1] scaling; null means 0. */
    public float[] mean() {
        return mean == null ? null : mean.clone();
    }

    /** Per-channel divisor applied after {@link #mean()}; null means 1. */
    public float[] std() {
        return std == null ? null : std.clone();
    }

    /**
     * Medical: which frame of a multi-frame file the model sees, {@code first} or {@code middle},
     * or {@code all}: every frame is classified and the result aggregates them.
     */
    public String frame() {
        return frame;
    }

    /** Remote sensing: per-channel percentiles {@code [low, high]} stretched to 0..1, or null. */
    public float[] stretch() {
        return stretch == null ? null : stretch.clone();
    }

    /**
     * Remote sensing: {@code tile} (default) cuts scenes larger than the input into model-sized
     * tiles at full resolution; {@code resize} resamples the whole scene to the input, for models
     * trained on whole downsampled scenes.
     */
    public String tiling() {
        return tiling;
    }

    /** What the decode stage must produce for this model. */
    public ModelInput modelInput() {
        return new ModelInput(
                height,
                width,
                channels,
                bands,
                sampleScale,
                mean,
                std,
                DicomFrame.valueOf(frame.toUpperCase(Locale.ROOT)),
                stretch,
                SceneTiling.valueOf(tiling.toUpperCase(Locale.ROOT)));
    }

    /**
     * The decode settings as one string (the model input with its sample scale), computed once: the
     * dedup cache keeps it per entry and compares it for every copy it answers.
     */
    public String inputFingerprint() {
        if (inputFingerprint == null) {
            ModelInput input = modelInput();
            inputFingerprint = input + " scale=" + input.sampleScale();
        }
        return inputFingerprint;
    }

    private transient String inputFingerprint;

    /** True when images decoded for {@code other} are valid input for this model too. */
    public boolean sameInputAs(ModelSpec other) {
        return domain == other.domain
                && height == other.height
                && width == other.width
                && channels == other.channels
                && Arrays.equals(bands, other.bands)
                && sampleScale == other.sampleScale
                && Arrays.equals(mean, other.mean)
                && Arrays.equals(std, other.std)
                && frame.equals(other.frame)
                && Arrays.equals(stretch, other.stretch)
                && tiling.equals(other.tiling);
    }

    /** Reads {@value #FILE_NAME} from a model directory. */
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
        ModelSpecFile json = ModelSpecFile.read(file);
        try {
            return json.toBuilder(modelDirectory).build();
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid model spec " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this spec as {@value #FILE_NAME} into {@code modelDirectory}. */
    public void store(Path modelDirectory) throws IOException {
        ModelSpecFile.of(this).write(modelDirectory.resolve(FILE_NAME));
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
        private String inputName;
        private String outputName;
        private int height;
        private int width;
        private int channels;
        private List<String> labels = new ArrayList<>();

        /** 0 = up to three, but no more than there are labels. */
        private int topK;

        private int[] bands;
        private float sampleScale = 10000f;
        private float[] mean;
        private float[] std;
        private String frame = "first";
        private float[] stretch;
        private String tiling = "tile";

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

        public Builder bands(int... bands) {
            this.bands = bands;
            return this;
        }

        public Builder sampleScale(float sampleScale) {
            this.sampleScale = sampleScale;
            return this;
        }

        public Builder mean(float... mean) {
            this.mean = mean;
            return this;
        }

        public Builder std(float... std) {
            this.std = std;
            return this;
        }

        public Builder frame(String frame) {
            this.frame = frame;
            return this;
        }

        public Builder stretch(float... stretch) {
            this.stretch = stretch;
            return this;
        }

        public Builder tiling(String tiling) {
            this.tiling = tiling;
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
            if (topK == 0) {
                topK = Math.min(3, labels.size());
            }
            if (topK < 1 || topK > labels.size()) {
                throw new IllegalArgumentException(
                        "top-k must be between 1 and the number of labels ("
                                + labels.size()
                                + "), got "
                                + topK);
            }
            if (bands != null) {
                if (domain != Domain.REMOTE_SENSING) {
                    throw new IllegalArgumentException(
                            "'bands' applies to remote-sensing models only");
                }
                if (bands.length != channels) {
                    throw new IllegalArgumentException(
                            "'bands' selects "
                                    + bands.length
                                    + " bands but 'channels' is "
                                    + channels);
                }
                for (int band : bands) {
                    if (band < 1) {
                        throw new IllegalArgumentException(
                                "'bands' are 1-based band numbers, got " + Arrays.toString(bands));
                    }
                }
            }
            if (!(sampleScale > 0) || Float.isInfinite(sampleScale)) {
                throw new IllegalArgumentException(
                        "'sampleScale' must be a positive number, got " + sampleScale);
            }
            if (!frame.equals("first") && !frame.equals("middle") && !frame.equals("all")) {
                throw new IllegalArgumentException(
                        "'frame' must be \"first\", \"middle\" or \"all\", got \"" + frame + "\"");
            }
            if (!tiling.equals("tile") && !tiling.equals("resize")) {
                throw new IllegalArgumentException(
                        "'tiling' must be \"tile\" or \"resize\", got \"" + tiling + "\"");
            }
            if (!tiling.equals("tile") && domain != Domain.REMOTE_SENSING) {
                throw new IllegalArgumentException(
                        "'tiling' applies to remote-sensing models only");
            }
            if (!frame.equals("first") && domain != Domain.MEDICAL) {
                throw new IllegalArgumentException("'frame' applies to medical models only");
            }
            if (stretch != null) {
                if (domain != Domain.REMOTE_SENSING) {
                    throw new IllegalArgumentException(
                            "'stretch' applies to remote-sensing models only");
                }
                if (!ModelInput.isValidStretch(stretch)) {
                    throw new IllegalArgumentException(
                            "'stretch' must be two percentiles [low, high] with 0 <= low < high"
                                    + " <= 100, got "
                                    + Arrays.toString(stretch));
                }
            }
            if (mean != null && mean.length != channels) {
                throw new IllegalArgumentException(
                        "'mean' has " + mean.length + " values for " + channels + " channels");
            }
            if (std != null) {
                if (std.length != channels) {
                    throw new IllegalArgumentException(
                            "'std' has " + std.length + " values for " + channels + " channels");
                }
                for (float value : std) {
                    if (!(value > 0)) {
                        throw new IllegalArgumentException(
                                "'std' values must be positive, got " + Arrays.toString(std));
                    }
                }
            }
            return new ModelSpec(this);
        }
    }
}
