package org.imagestream.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The medical UID secret of test runs: a fixed key in a file under {@code target/}, so tests can
 * compute the bytes the job stores for a DICOM file ({@link StoredBytes}).
 */
public final class TestSecrets {
    /** The key; fixed so expected de-identified bytes can be computed. */
    public static final String MEDICAL_UID_SECRET = "imagestream-test-uid-secret";

    private TestSecrets() {}

    /** A file holding {@link #MEDICAL_UID_SECRET}, for {@code medical.uid-secret-file}. */
    public static String medicalUidSecretFile() {
        Path file = Path.of("target", "test-secrets", "medical-uid-secret").toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, MEDICAL_UID_SECRET + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file.toString();
    }

    static byte[] medicalUidSecretBytes() {
        return MEDICAL_UID_SECRET.getBytes(StandardCharsets.UTF_8);
    }
}
