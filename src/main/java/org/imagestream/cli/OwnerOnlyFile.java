package org.imagestream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes files that may hold images (a medical image, a contact sheet of them) readable and
 * writable by their owner only: written to a new owner-only file beside the target, then moved over
 * it, so no other user can read the bytes at any moment, whatever the umask.
 */
final class OwnerOnlyFile {
    private OwnerOnlyFile() {}

    static void write(Path target, byte[] bytes) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        Files.createDirectories(directory);
        Path temporary =
                Files.createTempFile(
                        directory,
                        "." + absolute.getFileName(),
                        ".part",
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temporary, bytes);
            Files.move(
                    temporary,
                    absolute,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
