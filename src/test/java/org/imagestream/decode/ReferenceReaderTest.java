package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.imagestream.decode.DecodeException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images by reference through Flink's local file system (file://), the hostile cases first. */
class ReferenceReaderTest {
    @TempDir Path root;

    private ReferenceReader readerOf(Path allowed, long maxBytes) {
        return new ReferenceReader(List.of(allowed.toUri().toString()), maxBytes);
    }

    @Test
    void readsTheObjectUnderAnAllowedPrefixByteForByte() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        byte[] written = new byte[300_000];
        new Random(1).nextBytes(written);
        Path file = Files.write(allowed.resolve("scene.tif"), written);
        assertThat(readerOf(allowed, 1 << 20).read(file.toUri().toString())).isEqualTo(written);
    }

    @Test
    void refusesEverythingWhenNoPrefixIsAllowed() throws Exception {
        Path file = Files.write(root.resolve("a.jpg"), new byte[] {1});
        assertThatThrownBy(() -> new ReferenceReader(List.of(), 100).read(file.toUri().toString()))
                .isInstanceOf(DecodeException.class)
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.REFERENCE_REFUSED);
    }

    @Test
    void refusesFilesOutsideThePrefixAndDotSegmentsThatClimbOutOfIt() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        Path secret = Files.writeString(root.resolve("secret.key"), "do not read");
        ReferenceReader reader = readerOf(allowed, 1 << 20);
        String base = allowed.toUri().toString();
        for (String location :
                List.of(
                        secret.toUri().toString(),
                        base + "../secret.key",
                        base + "%2e%2e/secret.key",
                        base + "./../secret.key",
                        base,
                        base + "a.jpg?x=1",
                        "file:/" + secret.toAbsolutePath(),
                        "not a uri at all",
                        "relative/path.jpg")) {
            assertThatThrownBy(() -> reader.read(location))
                    .as(location)
                    .isInstanceOf(DecodeException.class)
                    .extracting(e -> ((DecodeException) e).reason())
                    .isEqualTo(Reason.REFERENCE_REFUSED);
        }
    }

    /**
     * A content-location over 1,024 bytes is refused before any file system sees it (an object
     * store would answer a longer key with an error that is neither "missing" nor "denied", and
     * fail the task on every replay); one of exactly 1,024 is read. Both objects exist.
     */
    @Test
    void refusesALocationOverTheHeaderLimitAndReadsOneAtIt() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        ReferenceReader reader = readerOf(allowed, 1 << 20);
        String atLimit = existingObjectWithUriOfLength(allowed, 1024);
        String overLimit = existingObjectWithUriOfLength(allowed, 1025);
        assertThat(atLimit).hasSize(1024);
        assertThat(overLimit).hasSize(1025);
        assertThat(reader.read(atLimit)).containsExactly(7);
        // Raw (not percent-encoded) two-byte characters: under 1,024 characters, over 1,024 bytes.
        String base = allowed.toUri().toString();
        String multibyte = base + "\u00e9".repeat((1024 - base.length()) / 2 + 1);
        assertThat(multibyte.length()).isLessThanOrEqualTo(1024);
        assertThat(multibyte.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .isGreaterThan(1024);
        for (String location : List.of(overLimit, multibyte)) {
            assertThatThrownBy(() -> reader.read(location))
                    .isInstanceOf(DecodeException.class)
                    .satisfies(
                            e -> {
                                assertThat(((DecodeException) e).reason())
                                        .isEqualTo(Reason.REFERENCE_REFUSED);
                                assertThat(e.getMessage()).doesNotContain("dddd");
                            });
        }
    }

    /** A one-byte file under {@code allowed} whose file:// URI has exactly {@code length} chars. */
    private static String existingObjectWithUriOfLength(Path allowed, int length)
            throws IOException {
        String base = allowed.toUri().toString(); // ends with '/'
        Path directory = allowed;
        int remaining = length - base.length();
        // Directories of 200 letters (each adds 201 characters with its '/') until a file name
        // of 1-255 letters makes up the rest.
        while (remaining > 255) {
            directory = Files.createDirectories(directory.resolve("d".repeat(200)));
            remaining -= 201;
        }
        Path file = Files.write(directory.resolve("f".repeat(remaining)), new byte[] {7});
        return file.toUri().toString();
    }

    @Test
    void aMissingObjectOrADirectoryIsUnreadableAndTheMessageDoesNotNameIt() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        Files.createDirectories(allowed.resolve("Smith_John"));
        ReferenceReader reader = readerOf(allowed, 1 << 20);
        for (String name : List.of("Smith_John_CT.dcm", "Smith_John")) {
            assertThatThrownBy(() -> reader.read(allowed.resolve(name).toUri().toString()))
                    .isInstanceOf(DecodeException.class)
                    .satisfies(
                            e -> {
                                assertThat(((DecodeException) e).reason())
                                        .isEqualTo(Reason.REFERENCE_UNREADABLE);
                                assertThat(e.getMessage()).doesNotContain("Smith");
                            });
        }
    }

    @Test
    void anObjectOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        Path file = Files.write(allowed.resolve("big.tif"), new byte[1001]);
        assertThatThrownBy(() -> readerOf(allowed, 1000).read(file.toUri().toString()))
                .isInstanceOf(DecodeException.class)
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.TOO_LARGE);
        assertThat(readerOf(allowed, 1001).read(file.toUri().toString())).hasSize(1001);
    }

    @Test
    void aPrefixMustBeADirectoryUriAndItsSchemeMustHaveAFileSystem() {
        assertThatThrownBy(() -> new ReferenceReader(List.of("file:///data/images"), 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ending with '/'");
        assertThatThrownBy(() -> new ReferenceReader(List.of("/data/images/"), 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                new ReferenceReader(List.of("nosuchscheme://bucket/x/"), 10)
                                        .checkAvailable())
                .isInstanceOf(IOException.class);
    }

    @Test
    void streamsATiffSceneOverTheHeapLimitAndRefusesOtherLargeFiles() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        byte[] scene =
                org.imagestream.samples.GeoTiffWriter.write(
                        new short[40 * 30 * 4], 40, 30, 4, 0, 0, 10, 32633);
        Path tiff = Files.write(allowed.resolve("scene.tif"), scene);
        ReferenceReader reader = readerOf(allowed, 1 << 20);
        ReferenceReader.Resolved streamed = reader.resolve(tiff.toUri().toString(), 100, true);
        assertThat(streamed.bytes()).isEmpty();
        assertThat(streamed.size()).isEqualTo(scene.length);
        assertThat(streamed.sha256())
                .isEqualTo(
                        java.util.HexFormat.of()
                                .formatHex(
                                        java.security.MessageDigest.getInstance("SHA-256")
                                                .digest(scene)));
        assertThat(java.net.URI.create(streamed.streamedLocation())).isEqualTo(tiff.toUri());
        // Without streaming (no offload store) the heap limit is the limit.
        assertThatThrownBy(() -> reader.resolve(tiff.toUri().toString(), 100, false))
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.TOO_LARGE);
        // Only TIFF scenes stream: a DICOM file or a JPEG over the heap limit is TOO_LARGE.
        byte[] dicom;
        try (var in = getClass().getResourceAsStream("/dicom/CT_small.dcm")) {
            dicom = in.readAllBytes();
        }
        for (byte[] other :
                List.of(dicom, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3})) {
            Path file = Files.write(allowed.resolve("other-" + other.length), other);
            assertThatThrownBy(() -> reader.resolve(file.toUri().toString(), 5, true))
                    .extracting(e -> ((DecodeException) e).reason())
                    .isEqualTo(Reason.TOO_LARGE);
        }
    }

    @Test
    void prefixesMatchWholeDirectoriesAndSchemesInAnyCase() throws Exception {
        Path allowed = Files.createDirectories(root.resolve("images"));
        Path sibling = Files.createDirectories(root.resolve("images2"));
        Files.write(sibling.resolve("a.jpg"), new byte[] {1});
        Path inside = Files.write(allowed.resolve("b.jpg"), new byte[] {2});
        ReferenceReader reader = readerOf(allowed, 1 << 20);
        assertThatThrownBy(() -> reader.read(sibling.resolve("a.jpg").toUri().toString()))
                .extracting(e -> ((DecodeException) e).reason())
                .isEqualTo(Reason.REFERENCE_REFUSED);
        assertThat(reader.read("FILE" + inside.toUri().toString().substring(4))).containsExactly(2);
    }
}
