package org.imagestream.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imagestream.model.Domain;

/**
 * {@value ModelSpec#FILE_NAME} as JSON, bound by Jackson: this record is the file's shape (every
 * key, its JSON type), read strictly (unknown keys, strings for numbers and fractions for integers
 * are refused) and written in a stable order. What the values must satisfy is {@link
 * ModelSpec.Builder#build()}'s job; only what belongs to the file format is checked here: required
 * keys, positive sizes, and exactly one of {@code labels} (inline) or {@code labelsFile} (a file
 * next to it, one label per line).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
    "domain",
    "name",
    "version",
    "signature",
    "input",
    "output",
    "height",
    "width",
    "channels",
    "bands",
    "sampleScale",
    "mean",
    "std",
    "frame",
    "stretch",
    "tiling",
    "labels",
    "labelsFile",
    "topK"
})
record ModelSpecFile(
        String domain,
        String name,
        String version,
        String signature,
        String input,
        String output,
        Integer height,
        Integer width,
        Integer channels,
        int[] bands,
        Float sampleScale,
        float[] mean,
        float[] std,
        String frame,
        float[] stretch,
        String tiling,
        List<String> labels,
        String labelsFile,
        Integer topK) {

    private static final ObjectMapper JSON =
            JsonMapper.builder()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                    .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .build();

    /** Reads and binds the file; a malformed or mistyped file is an {@link IOException}. */
    static ModelSpecFile read(Path file) throws IOException {
        try {
            return JSON.readValue(file.toFile(), ModelSpecFile.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IOException(
                    "Invalid model spec "
                            + file
                            + ": unknown key '"
                            + e.getPropertyName()
                            + "' (known: "
                            + e.getKnownPropertyIds()
                            + ")",
                    e);
        } catch (MismatchedInputException e) {
            String key = e.getPath().isEmpty() ? "?" : e.getPath().get(0).getFieldName();
            throw new IOException(
                    "Invalid model spec " + file + ": '" + key + "' has the wrong JSON type", e);
        } catch (JsonProcessingException e) {
            throw new IOException(
                    "Model spec " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The file's values in a builder for the model in {@code modelDirectory}. */
    ModelSpec.Builder toBuilder(Path modelDirectory) throws IOException {
        ModelSpec.Builder builder =
                ModelSpec.builder()
                        .domain(Domain.fromId(required(domain, "domain")))
                        .directory(modelDirectory.toAbsolutePath().toString())
                        .name(required(name, "name"))
                        .version(required(version, "version"))
                        .signatureKey(signature == null ? "serving_default" : signature)
                        .inputName(input)
                        .outputName(output)
                        .height(positive(height, "height"))
                        .width(positive(width, "width"))
                        .channels(positive(channels, "channels"))
                        .topK(topK == null ? 0 : topK);
        if ((labels == null) == (labelsFile == null)) {
            throw new IllegalArgumentException("give exactly one of 'labels' or 'labelsFile'");
        }
        if (labels != null) {
            builder.labels(labels);
        } else {
            Path file = modelDirectory.resolve(labelsFile);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("labelsFile " + file + " does not exist");
            }
            builder.labels(Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList());
        }
        if (bands != null) {
            builder.bands(bands);
        }
        if (sampleScale != null) {
            builder.sampleScale(sampleScale);
        }
        if (mean != null) {
            builder.mean(mean);
        }
        if (std != null) {
            builder.std(std);
        }
        if (frame != null) {
            builder.frame(frame);
        }
        if (stretch != null) {
            builder.stretch(stretch);
        }
        if (tiling != null) {
            builder.tiling(tiling);
        }
        return builder;
    }

    /** What {@link ModelSpec#store} writes: the domain's own keys only, labels inline. */
    static ModelSpecFile of(ModelSpec spec) {
        boolean remoteSensing = spec.domain() == Domain.REMOTE_SENSING;
        return new ModelSpecFile(
                spec.domain().id(),
                spec.name(),
                spec.version(),
                spec.signatureKey(),
                spec.inputName(),
                spec.outputName(),
                spec.height(),
                spec.width(),
                spec.channels(),
                spec.bands(),
                remoteSensing ? spec.sampleScale() : null,
                spec.mean(),
                spec.std(),
                spec.domain() == Domain.MEDICAL ? spec.frame() : null,
                spec.stretch(),
                remoteSensing ? spec.tiling() : null,
                spec.labels(),
                null,
                spec.topK());
    }

    void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    private static String required(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing required key '" + key + "'");
        }
        return value.trim();
    }

    private static int positive(Integer value, String key) {
        if (value == null || value <= 0) {
            throw new IllegalArgumentException(
                    "'" + key + "' must be a positive integer, got " + value);
        }
        return value;
    }
}
