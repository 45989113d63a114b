package org.imagestream.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The key of the keyed hash that replaces DICOM UIDs and medical source ids. It comes from a file
 * ({@code medical.uid-secret-file}) or the environment variable {@value #ENVIRONMENT_VARIABLE},
 * never from a job argument (arguments are printed in Flink's client and JobManager logs), and is
 * never printed. Without it the job refuses to start while DICOM files are de-identified: a default
 * key would let anyone reverse the pseudonyms of MRN-like source ids by trying them.
 */
public final class MedicalSecret {
    /** Environment variable holding the key, when no file is configured. */
    public static final String ENVIRONMENT_VARIABLE = "IMAGESTREAM_MEDICAL_UID_SECRET";

    /** Shortest key accepted: 16 bytes, as guessable as a 128-bit random value at best. */
    static final int MINIMUM_BYTES = 16;

    private MedicalSecret() {}

    /**
     * The key for a job that de-identifies DICOM files, from the file option, else the environment.
     *
     * @throws IllegalArgumentException when there is none, it is too short or unreadable, saying
     *     how to provide one
     */
    public static byte[] load(JobConfig config, Map<String, String> environment) {
        byte[] key;
        String source;
        var file = config.getOptional(JobOptions.MEDICAL_UID_SECRET_FILE);
        if (file.isPresent()) {
            source = JobOptions.MEDICAL_UID_SECRET_FILE.key() + " " + file.get();
            key = read(Path.of(file.get()), source);
        } else if (environment.get(ENVIRONMENT_VARIABLE) != null) {
            source = "environment variable " + ENVIRONMENT_VARIABLE;
            key = environment.get(ENVIRONMENT_VARIABLE).strip().getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException(
                    "DICOM de-identification (medical.deidentify) needs a secret key for its UID"
                            + " and source-id pseudonyms, and none is set. Write at least "
                            + MINIMUM_BYTES
                            + " random bytes to a file only the job can read, e.g. 'head -c 32"
                            + " /dev/urandom | base64 > medical-uid-secret && chmod 600"
                            + " medical-uid-secret', and pass --"
                            + JobOptions.MEDICAL_UID_SECRET_FILE.key()
                            + " <file>, or set "
                            + ENVIRONMENT_VARIABLE
                            + ". Keep it: the same key keeps a patient's studies linkable.");
        }
        return checked(key, source);
    }

    /** The key in a secret file as the job reads it (for the CLI's {@code erase}). */
    public static byte[] fromFile(Path file) {
        String source = "secret file " + file;
        return checked(read(file, source), source);
    }

    private static byte[] read(Path file, String source) {
        try {
            return Files.readString(file).strip().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read " + source + ": " + e, e);
        }
    }

    private static byte[] checked(byte[] key, String source) {
        if (key.length < MINIMUM_BYTES) {
            throw new IllegalArgumentException(
                    "The medical UID secret from "
                            + source
                            + " has "
                            + key.length
                            + " bytes; use at least "
                            + MINIMUM_BYTES
                            + " random bytes");
        }
        return key;
    }

    /**
     * The key file of a local run (demo, {@code cluster up}), created with 32 random bytes readable
     * by the owner only when missing, and kept, so later runs give the same pseudonyms.
     */
    public static Path createIfMissing(Path file) throws IOException {
        if (Files.exists(file)) {
            return file;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        try {
            Files.createFile(
                    file,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return file; // made by a concurrent run
        }
        Files.writeString(file, Base64.getEncoder().encodeToString(random) + "\n");
        return file;
    }
}
