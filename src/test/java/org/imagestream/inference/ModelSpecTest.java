package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model.json: round trip, optional fields, and errors that say what to fix. */
class ModelSpecTest {
    @Test
    void shouldRoundTripEveryField(@TempDir Path dir) throws IOException {
        ModelSpec spec =
                ModelSpec.builder()
                        .domain(Domain.REMOTE_SENSING)
                        .directory(dir.toString())
                        .name("s2-rgb")
                        .version("7")
                        .signatureKey("serving_default")
                        .inputName("pixels")
                        .outputName("scores")
                        .height(64)
                        .width(64)
                        .channels(3)
                        .bands(4, 3, 2)
                        .sampleScale(10000)
                        .mean(0.1f, 0.2f, 0.3f)
                        .std(0.5f, 0.5f, 0.5f)
                        .stretch(2, 98)
                        .labels(List.of("water", "forest", "urban"))
                        .topK(2)
                        .build();
        spec.store(dir);
        ModelSpec loaded = ModelSpec.load(dir);
        assertThat(loaded.sameInputAs(spec)).isTrue();
        assertThat(loaded.bands()).containsExactly(4, 3, 2);
        assertThat(loaded.stretch()).containsExactly(2f, 98f);
        assertThat(loaded.frame()).isEqualTo("first");
        assertThat(loaded.inputName()).isEqualTo("pixels");
        assertThat(loaded.outputName()).isEqualTo("scores");
        assertThat(loaded.labels()).containsExactly("water", "forest", "urban");
        assertThat(loaded.topK()).isEqualTo(2);
        assertThat(loaded.version()).isEqualTo("7");
    }

    @Test
    void shouldReadLabelsFromAFileAndLeaveTensorNamesToDiscovery(@TempDir Path dir)
            throws IOException {
        Files.writeString(dir.resolve("labels.txt"), "normal\nlesion\n\n");
        Files.writeString(
                dir.resolve(ModelSpec.FILE_NAME),
                "{\"domain\": \"medical\", \"name\": \"ct\", \"version\": \"3\", \"height\": 128,"
                        + " \"width\": 128, \"channels\": 1, \"labelsFile\": \"labels.txt\"}");
        ModelSpec spec = ModelSpec.load(dir);
        assertThat(spec.labels()).containsExactly("normal", "lesion");
        assertThat(spec.inputName()).isNull();
        assertThat(spec.outputName()).isNull();
        assertThat(spec.signatureKey()).isEqualTo("serving_default");
    }

    @Test
    void shouldExplainWhatIsWrong(@TempDir Path dir) throws IOException {
        String base =
                "\"domain\": \"remote-sensing\", \"name\": \"m\", \"version\": \"1\", \"height\": 64,"
                        + " \"width\": 64, \"channels\": 3, \"labels\": [\"a\", \"b\"]";
        assertInvalid(dir, "{" + base + ", \"colour\": 1}", "unknown key 'colour'");
        assertInvalid(dir, "{" + base + ", \"bands\": [4, 3]}", "'bands' selects 2 bands");
        assertInvalid(dir, "{" + base + ", \"bands\": [0, 3, 2]}", "1-based");
        assertInvalid(dir, "{" + base + ", \"std\": [1, 0, 1]}", "'std' values must be positive");
        assertInvalid(dir, "{" + base + ", \"topK\": 5}", "top-k must be between 1 and");
        assertInvalid(
                dir,
                "{" + base.replace("\"height\": 64", "\"height\": -1") + "}",
                "'height' must be a positive integer");
        assertInvalid(
                dir,
                "{" + base + ", \"labelsFile\": \"l.txt\"}",
                "exactly one of 'labels' or 'labelsFile'");
        assertInvalid(dir, "{" + base.replace("\"name\": \"m\", ", "") + "}", "'name'");
        assertInvalid(dir, "{" + base, "not valid JSON");
        // Strict types: no string or fraction where an integer belongs.
        assertInvalid(
                dir,
                "{" + base.replace("\"height\": 64", "\"height\": \"64\"") + "}",
                "'height' has the wrong JSON type");
        assertInvalid(
                dir,
                "{" + base.replace("\"height\": 64", "\"height\": 64.5") + "}",
                "'height' has the wrong JSON type");
        assertInvalid(
                dir, "{" + base + ", \"mean\": [\"a\", 1, 2]}", "'mean' has the wrong JSON type");
        assertInvalid(
                dir, "{" + base + ", \"stretch\": [98, 2]}", "'stretch' must be two percentiles");
        assertInvalid(dir, "{" + base + ", \"frame\": \"middle\"}", "'frame' applies to medical");
        assertInvalid(
                dir,
                "{"
                        + base.replace("remote-sensing", "medical")
                                .replace("\"channels\": 3", "\"channels\": 1")
                        + ", \"frame\": \"last\"}",
                "'frame' must be");
    }

    private static void assertInvalid(Path dir, String json, String message) throws IOException {
        Files.writeString(dir.resolve(ModelSpec.FILE_NAME), json);
        assertThatThrownBy(() -> ModelSpec.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(message);
    }
}
