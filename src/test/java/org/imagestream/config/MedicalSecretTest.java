package org.imagestream.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MedicalSecretTest {
    @TempDir Path dir;

    @Test
    void shouldRefuseToStartWithoutAKeyAndSayHowToProvideOne() {
        JobConfig config = JobConfig.fromMap(Map.of("model.medical.dir", "/m"));
        assertThatThrownBy(() -> MedicalSecret.load(config, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("medical.uid-secret-file")
                .hasMessageContaining(MedicalSecret.ENVIRONMENT_VARIABLE);
    }

    @Test
    void shouldReadTheKeyFromTheFileThenTheEnvironmentAndRefuseShortOnes() throws Exception {
        Path file = Files.writeString(dir.resolve("key"), "0123456789abcdef-file\n");
        JobConfig withFile =
                JobConfig.fromMap(
                        Map.of(
                                "model.medical.dir",
                                "/m",
                                "medical.uid-secret-file",
                                file.toString()));
        assertThat(
                        MedicalSecret.load(
                                withFile,
                                Map.of(MedicalSecret.ENVIRONMENT_VARIABLE, "ignored-when-a-file")))
                .isEqualTo("0123456789abcdef-file".getBytes(StandardCharsets.UTF_8));
        JobConfig withoutFile = JobConfig.fromMap(Map.of("model.medical.dir", "/m"));
        assertThat(
                        MedicalSecret.load(
                                withoutFile,
                                Map.of(MedicalSecret.ENVIRONMENT_VARIABLE, "0123456789abcdef-env")))
                .isEqualTo("0123456789abcdef-env".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(
                        () ->
                                MedicalSecret.load(
                                        withoutFile,
                                        Map.of(MedicalSecret.ENVIRONMENT_VARIABLE, "short")))
                .hasMessageContaining("at least 16");
    }

    @Test
    void shouldRefuseTheKeyAsAJobArgument() {
        assertThatThrownBy(
                        () ->
                                JobConfig.fromMap(
                                        Map.of(
                                                "model.medical.dir",
                                                "/m",
                                                "medical.uid-secret",
                                                "0123456789abcdef")))
                .hasMessageContaining("Unknown option 'medical.uid-secret'");
    }

    @Test
    void shouldCreateALocalKeyReadableByTheOwnerOnlyAndKeepIt() throws Exception {
        Path file = MedicalSecret.createIfMissing(dir.resolve("local/medical-uid-secret"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        String key = Files.readString(file);
        assertThat(key.strip().length()).isGreaterThanOrEqualTo(32);
        assertThat(Files.readString(MedicalSecret.createIfMissing(file))).isEqualTo(key);
    }
}
