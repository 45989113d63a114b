package org.imagestream.storage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.imagestream.config.DirectoryUris;

/**
 * Large blobs in an object store instead of Cassandra chunks: a blob of at least {@code minBytes}
 * is written once through Flink's {@link FileSystem} (any scheme with a file system plugin: {@code
 * s3://}, {@code hdfs://}, {@code file://}) under its SHA-256, {@code <root>/<first two hex
 * digits>/<sha256>}, and Cassandra's {@code blobs} row keeps that location instead of chunks.
 * Content addressing makes the write idempotent: a replay finds the object with its size and does
 * not write it again.
 */
public final class BlobOffload implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String root;
    private final long minBytes;

    /**
     * @param root absolute URI of a directory, ending with {@code /}
     * @param minBytes blobs of at least this size are offloaded
     */
    public BlobOffload(String root, long minBytes) {
        this.root = DirectoryUris.require(root, "storage.offload-uri");
        if (minBytes < 1) {
            throw new IllegalArgumentException(
                    "storage.offload-min-bytes must be at least 1 byte, not " + minBytes);
        }
        this.minBytes = minBytes;
    }

    public boolean applies(long size) {
        return size >= minBytes;
    }

    public String root() {
        return root;
    }

    /** Where the blob with this hash lives. */
    public String locationOf(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a lower-case hex SHA-256: " + sha256);
        }
        return root + sha256.substring(0, 2) + "/" + sha256;
    }

    /**
     * Fails when the root's file system is not available (no plugin for its scheme): at start, not
     * at the first large image.
     */
    public void checkAvailable() throws IOException {
        new Path(root).getFileSystem();
    }

    /**
     * Writes the blob unless an object of its size is already at its location; returns the
     * location. Blocking: the caller is the sink writer's task thread, and large blobs are rare.
     */
    public String store(String sha256, byte[] bytes) throws IOException {
        String location = locationOf(sha256);
        Path path = new Path(location);
        FileSystem fileSystem = path.getFileSystem();
        try {
            FileStatus existing = fileSystem.getFileStatus(path);
            if (!existing.isDir() && existing.getLen() == bytes.length) {
                return location;
            }
        } catch (FileNotFoundException notYetStored) {
            // written below
        }
        // S3 makes the object visible on close only; a local or HDFS file cut short by a crash
        // has the wrong size and is overwritten by the replay.
        try (FSDataOutputStream out = fileSystem.create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        }
        return location;
    }

    /**
     * Copies a referenced object to the blob's location unless an object of its size is there
     * already; returns the location. Streamed, never whole in the heap, and hashed on the way: an
     * object that no longer has the hash it was classified under is deleted again and the copy
     * fails (the job restarts and the replay hashes the object anew), so a blob location never
     * holds other bytes than its name says.
     */
    public String storeFrom(String sha256, String source, long size) throws IOException {
        String location = locationOf(sha256);
        Path path = new Path(location);
        FileSystem fileSystem = path.getFileSystem();
        try {
            FileStatus existing = fileSystem.getFileStatus(path);
            if (!existing.isDir() && existing.getLen() == size) {
                return location;
            }
        } catch (FileNotFoundException notYetStored) {
            // copied below
        }
        Path from = new Path(URI.create(source));
        MessageDigest digest = DigestUtils.getSha256Digest();
        long copied;
        try (InputStream in = new DigestInputStream(from.getFileSystem().open(from), digest);
                FSDataOutputStream out = fileSystem.create(path, FileSystem.WriteMode.OVERWRITE)) {
            copied = in.transferTo(out);
        }
        String hash = HexFormat.of().formatHex(digest.digest());
        if (copied != size || !hash.equals(sha256)) {
            fileSystem.delete(path, false);
            throw new IOException(
                    "the referenced object changed after it was classified as "
                            + sha256
                            + "; not stored (the replay hashes it again)");
        }
        return location;
    }

    /**
     * Reads an offloaded blob and verifies its size and SHA-256 against what Cassandra recorded: a
     * missing, cut or replaced object is an {@link IOException}, never wrong bytes.
     */
    public static byte[] read(String location, long size, String sha256) throws IOException {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("blob " + sha256 + " has " + size + " bytes: too large to read");
        }
        Path path = new Path(location);
        byte[] bytes;
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            bytes = in.readNBytes((int) size + 1);
        }
        if (bytes.length != size || !DigestUtils.sha256Hex(bytes).equals(sha256)) {
            throw new IOException(
                    "offloaded blob "
                            + sha256
                            + " at "
                            + location
                            + " failed verification ("
                            + Math.min(bytes.length, size)
                            + (bytes.length > size ? "+" : "")
                            + " of "
                            + size
                            + " bytes or a different hash)");
        }
        return bytes;
    }

    /** Deletes an offloaded blob (erasure); true if it existed. */
    public static boolean delete(String location) throws IOException {
        Path path = new Path(location);
        return path.getFileSystem().delete(path, false);
    }
}
