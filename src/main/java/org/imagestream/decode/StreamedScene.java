package org.imagestream.decode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
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
     * @param sink takes a tiled scene's tiles as they are read (see {@link SceneTileStream}), or
     *     null for all tiles in the result
     */
    static DecodedPixels decode(
            String location,
            long size,
            String sha256,
            ModelInput input,
            DecodeLimits limits,
            Path spoolDirectory,
            PartSink sink)
            throws DecodeException, IOException {
        if (Files.getFileStore(spoolDirectory).getTotalSpace() < size) {
            // No replay can fit it on this disk; less free space than that is transient.
            throw new DecodeException(
                    Reason.TOO_LARGE,
                    "scene of "
                            + size
                            + " bytes is larger than the TaskManager's io.tmp.dirs disk");
        }
        Path copy = Files.createTempFile(spoolDirectory, "imagestream-scene-", ".tif");
        try {
            String copied = spool(location, copy);
            if (!copied.equals(sha256) || Files.size(copy) != size) {
                throw new DecodeException(
                        Reason.REFERENCE_UNREADABLE,
                        "the referenced object changed after it was hashed");
            }
            MappedByteBuffer whole;
            try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.READ)) {
                whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            }
            try {
                SceneDecoder.Source source = SceneDecoder.Source.mapped(whole, copy);
                var missing = Truncation.tiff(source.tiff());
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
                            SceneDecoder.decode(source, input, limits, deadline, sink);
                    deadline.check("remote-sensing image");
                    if (pixels.pixels() != null) {
                        input.normalize(pixels.pixels());
                    }
                    return pixels;
                } catch (DecodeException | PartSink.Failure e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "remote-sensing image is corrupt or truncated: " + e,
                            e);
                } catch (StackOverflowError e) {
                    // The backstop of ImageDecoders.decode, on the streamed path.
                    throw new DecodeException(
                            Reason.CORRUPT,
                            "remote-sensing image nests its structure too deeply for its decoder");
                }
            } finally {
                // Unmapped now, not at some later collection: the deleted copy's disk space is
                // freed at once, so a run of large scenes cannot fill io.tmp.dirs.
                unmap(whole);
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private static void unmap(MappedByteBuffer buffer) {
        try {
            Field field = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Left to the garbage collector, as without this call.
        }
    }

    /** Copies the object to {@code target}; returns its SHA-256. A missing object is a verdict. */
    private static String spool(String location, Path target) throws DecodeException, IOException {
        // From the URI (decoded once), as the prepare stage opened it.
        org.apache.flink.core.fs.Path path =
                new org.apache.flink.core.fs.Path(URI.create(location));
        MessageDigest digest = DigestUtils.getSha256Digest();
        try (InputStream in = new DigestInputStream(path.getFileSystem().open(path), digest);
                OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        } catch (FileNotFoundException | AccessDeniedException e) {
            throw ReferenceReader.unreadable(e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
