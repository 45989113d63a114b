package org.imagestream.decode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.codec.digest.DigestUtils;
import org.imagestream.decode.DecodeException.Reason;

/**
 * A remote-sensing scene larger than a record may be, decoded without entering the heap: the
 * referenced object is copied to a local file in the TaskManager's temporary directory (hashed on
 * the way and compared with the hash the prepare stage computed, so the object cannot change
 * between hashing and decoding), the copy is memory-mapped for its tags and truncation check, and
 * TwelveMonkeys reads its pixels from the file, subsampled or from a cloud-optimised overview
 * within {@code limits.max-decode-memory} as any scene. The copy is deleted afterwards.
 */
final class StreamedScene {
    private StreamedScene() {}

    /**
     * @param location the object's URI (checked against the allowed prefixes by the prepare stage)
     * @param size the object's size when it was hashed
     * @param sha256 the object's hash when it was hashed
     * @param spoolDirectory where the local copy is written
     */
    static DecodedPixels decode(
            String location,
            long size,
            String sha256,
            ModelInput input,
            DecodeLimits limits,
            Path spoolDirectory)
            throws DecodeException, IOException {
        Path copy = Files.createTempFile(spoolDirectory, "imagestream-scene-", ".tif");
        try {
            String copied = spool(location, copy);
            if (!copied.equals(sha256) || Files.size(copy) != size) {
                throw new DecodeException(
                        Reason.REFERENCE_UNREADABLE,
                        "the referenced object changed after it was hashed");
            }
            try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.READ)) {
                MappedByteBuffer whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
                var missing = Truncation.tiff(whole);
                if (missing.isPresent()) {
                    throw new DecodeException(
                            Reason.TRUNCATED,
                            "remote-sensing image of "
                                    + size
                                    + " bytes is truncated: missing "
                                    + missing.get());
                }
                // The budget starts after the copy: it measures decoding, not the network.
                DecodeDeadline deadline = new DecodeDeadline(limits.timeBudgetMillis());
                try {
                    DecodedPixels pixels =
                            SceneDecoder.decode(
                                    new SceneDecoder.Source(whole, null, copy),
                                    input,
                                    limits,
                                    deadline);
                    deadline.check("remote-sensing image");
                    input.normalize(pixels.pixels());
                    return pixels;
                } catch (DecodeException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "remote-sensing image is corrupt or truncated: " + e,
                            e);
                }
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** Copies the object to {@code target}; returns its SHA-256. A missing object is a verdict. */
    private static String spool(String location, Path target) throws DecodeException, IOException {
        org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(location);
        MessageDigest digest = DigestUtils.getSha256Digest();
        try (InputStream in = new DigestInputStream(path.getFileSystem().open(path), digest);
                OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        } catch (FileNotFoundException e) {
            throw new DecodeException(
                    Reason.REFERENCE_UNREADABLE, "no object at the content-location");
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
