package org.imagestream.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blob offload through Flink's local file system (file://). */
class BlobOffloadTest {
    @TempDir Path root;

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void storesUnderItsHashOnceAndReadsBackVerified() throws Exception {
        BlobOffload offload = new BlobOffload(root.toUri().toString(), 100);
        byte[] blob = new byte[5000];
        new Random(7).nextBytes(blob);
        String sha = sha256(blob);
        String location = offload.store(sha, blob);
        // The layout operators find with ls: <root>/<two hex digits>/<sha256>.
        Path file = root.resolve(sha.substring(0, 2)).resolve(sha);
        assertThat(location).isEqualTo(file.toUri().toString());
        assertThat(Files.readAllBytes(file)).isEqualTo(blob);
        // A replay finds it and does not write it again.
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000));
        offload.store(sha, blob);
        assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(1_000_000);
        assertThat(BlobOffload.read(location, blob.length, sha)).isEqualTo(blob);
    }

    @Test
    void anObjectCutShortIsRewrittenByTheReplayAndNeverReadAsWhole() throws Exception {
        BlobOffload offload = new BlobOffload(root.toUri().toString(), 1);
        byte[] blob = new byte[4000];
        new Random(8).nextBytes(blob);
        String sha = sha256(blob);
        String location = offload.store(sha, blob);
        Path file = root.resolve(sha.substring(0, 2)).resolve(sha);
        Files.write(file, Arrays.copyOf(blob, 1000));
        assertThatThrownBy(() -> BlobOffload.read(location, blob.length, sha))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("failed verification");
        offload.store(sha, blob);
        assertThat(BlobOffload.read(location, blob.length, sha)).isEqualTo(blob);
        // Same size, other bytes: the hash catches it.
        byte[] replaced = blob.clone();
        replaced[0] ^= 1;
        Files.write(file, replaced);
        assertThatThrownBy(() -> BlobOffload.read(location, blob.length, sha))
                .isInstanceOf(IOException.class);
        assertThat(BlobOffload.delete(location)).isTrue();
        assertThat(file).doesNotExist();
    }

    @Test
    void appliesFromItsThresholdAndRefusesBadRootsAndHashes() {
        BlobOffload offload = new BlobOffload(root.toUri().toString(), 100);
        assertThat(offload.applies(99)).isFalse();
        assertThat(offload.applies(100)).isTrue();
        assertThatThrownBy(() -> new BlobOffload("s3://bucket/blobs", 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> offload.locationOf("../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void copiesAReferencedObjectAndDeletesACopyWhoseHashDoesNotMatch() throws Exception {
        BlobOffload offload = new BlobOffload(root.resolve("blobs").toUri() + "/", 1);
        byte[] scene = new byte[70_000];
        new Random(9).nextBytes(scene);
        Path source = Files.write(root.resolve("scene.tif"), scene);
        String sha = sha256(scene);
        String location = offload.storeFrom(sha, source.toUri().toString(), scene.length);
        assertThat(BlobOffload.read(location, scene.length, sha)).isEqualTo(scene);
        // The object changed after it was classified: nothing is left under the old hash.
        byte[] changed = scene.clone();
        changed[0] ^= 1;
        Files.write(source, changed);
        String otherSha = sha256(new byte[] {1});
        assertThatThrownBy(
                        () -> offload.storeFrom(otherSha, source.toUri().toString(), scene.length))
                .isInstanceOf(IOException.class);
        assertThat(root.resolve("blobs").resolve(otherSha.substring(0, 2)).resolve(otherSha))
                .doesNotExist();
    }
}
