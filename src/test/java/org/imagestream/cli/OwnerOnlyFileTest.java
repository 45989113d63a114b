package org.imagestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyFileTest {
    @TempDir Path dir;

    @Test
    void shouldWriteFilesOnlyTheirOwnerCanReadAlsoOverAWorldReadableOne() throws Exception {
        Path target = dir.resolve("out/image.dcm");
        OwnerOnlyFile.write(target, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");

        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        OwnerOnlyFile.write(target, new byte[] {4});
        assertThat(Files.readAllBytes(target)).containsExactly(4);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
        try (var files = Files.list(target.getParent())) {
            assertThat(files).containsExactly(target); // no temporary file left behind
        }
    }
}
