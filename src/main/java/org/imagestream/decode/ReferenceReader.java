package org.imagestream.decode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.UnsupportedFileSystemSchemeException;
import org.imagestream.config.DirectoryUris;
import org.imagestream.decode.DecodeException.Reason;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.model.ImageRecord;

/**
 * Images by reference (claim check): a record with an empty value and a {@code content-location}
 * header is read from that URI through Flink's {@link FileSystem} (any scheme with a file system
 * plugin: {@code s3://}, {@code hdfs://}, {@code file://}), before anything else looks at it.
 *
 * <p>A producer chooses the URI, so it is treated as hostile: only URIs under a configured prefix
 * are read (a {@code file://} reference could otherwise name the job's own secrets), with no dot
 * segments (plain or percent-encoded) that could climb out of it, at most {@link
 * ImageHeaders#MAX_VALUE_CHARS} bytes of UTF-8 long, and only up to a size limit, checked before
 * reading. A reference that cannot be read for good (refused, missing, a directory, access denied,
 * too large) is a dead letter; any other I/O failure is thrown, so the job restarts and the replay
 * tries again (an object store that is down must not turn records into dead letters). References
 * must name immutable objects: a replay reads the object again.
 *
 * <p>Messages never contain the URI: a medical file's name may name the patient. Where the record
 * keeps its headers (not medical), the dead letter carries the URI in its headers.
 */
final class ReferenceReader implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<String> allowedPrefixes;
    private final long maxBytes;

    /** Leading bytes of a streamed object that decide its format. */
    private static final int HEAD_BYTES = 64 * 1024;

    /**
     * @param allowedPrefixes absolute URIs of directories (ending with {@code /}) references may
     *     point into
     * @param maxBytes largest object read
     */
    ReferenceReader(List<String> allowedPrefixes, long maxBytes) {
        this.allowedPrefixes =
                allowedPrefixes.stream()
                        .map(p -> DirectoryUris.require(p, "ingest.reference-prefixes"))
                        .map(ReferenceReader::lowerCaseScheme)
                        .toList();
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "ingest.max-reference-bytes must be between 1 byte and 2 GiB, not " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The record's reference, or null when it carries its bytes (a value wins over a header). */
    static String locationOf(ImageRecord record) {
        if (record.bytes != null && record.bytes.length > 0) {
            return null;
        }
        String location = record.headers.get(ImageHeaders.CONTENT_LOCATION);
        return location == null || location.isBlank() ? null : location.strip();
    }

    /** Fails when a prefix's scheme has no file system (plugin missing): at start. */
    void checkAvailable() throws IOException {
        for (String prefix : allowedPrefixes) {
            new Path(prefix).getFileSystem();
        }
    }

    /**
     * A reference resolved: the object's bytes (in the heap), or, for a TIFF scene over the heap
     * limit, its URI, size and SHA-256 (hashed as a stream; {@code bytes} empty).
     */
    record Resolved(byte[] bytes, String streamedLocation, long size, String sha256) {}

    /** The referenced object's bytes, up to the limit. */
    byte[] read(String location) throws DecodeException, IOException {
        return resolve(location, maxBytes, false).bytes();
    }

    /**
     * @param heapLimit objects up to this size are read into the heap
     * @param stream whether larger TIFF scenes are streamed (hashed here, decoded from a local copy
     *     and stored by copying the object); otherwise they are {@code TOO_LARGE}
     */
    Resolved resolve(String location, long heapLimit, boolean stream)
            throws DecodeException, IOException {
        URI uri = allowed(location);
        Path path = new Path(uri);
        FileSystem fileSystem;
        try {
            fileSystem = path.getFileSystem();
        } catch (UnsupportedFileSystemSchemeException e) {
            throw new DecodeException(
                    Reason.REFERENCE_REFUSED,
                    "content-location has a scheme no file system plugin serves");
        }
        FileStatus status;
        try {
            status = fileSystem.getFileStatus(path);
        } catch (FileNotFoundException | AccessDeniedException e) {
            throw unreadable(e);
        }
        if (status.isDir()) {
            throw new DecodeException(
                    Reason.REFERENCE_UNREADABLE, "the content-location is a directory");
        }
        long limit = stream ? maxBytes : Math.min(maxBytes, heapLimit);
        if (status.getLen() > limit) {
            throw tooLarge(status.getLen(), limit, stream);
        }
        try (FSDataInputStream in = fileSystem.open(path)) {
            if (status.getLen() <= heapLimit) {
                // One more than allowed: an object that grew since its status is caught here.
                byte[] bytes = in.readNBytes((int) Math.min(heapLimit + 1, status.getLen() + 1));
                if (bytes.length > heapLimit) {
                    throw tooLarge(bytes.length, heapLimit, false);
                }
                return new Resolved(bytes, null, bytes.length, null);
            }
            MessageDigest digest = DigestUtils.getSha256Digest();
            byte[] head = in.readNBytes(HEAD_BYTES);
            digest.update(head);
            if (!TiffDirectory.isTiff(head)
                    || DicomDecoder.isDicomPart10(head)
                    || DicomSniffer.looksLikeDataSet(head)) {
                throw new DecodeException(
                        Reason.TOO_LARGE,
                        "object has "
                                + status.getLen()
                                + " bytes: over limits.max-image-bytes only TIFF scenes are"
                                + " read, streamed");
            }
            long size = head.length;
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                size += n;
                if (size > maxBytes) {
                    throw tooLarge(size, maxBytes, true);
                }
            }
            return new Resolved(
                    new byte[0], uri.toString(), size, HexFormat.of().formatHex(digest.digest()));
        } catch (FileNotFoundException | AccessDeniedException e) {
            // Gone since its status, or listing allowed and reading not (a read policy or key).
            throw unreadable(e);
        }
    }

    /**
     * The verdict on a reference whose object is missing or may not be read: for good, so a dead
     * letter, never a restart loop.
     */
    static DecodeException unreadable(IOException e) {
        return new DecodeException(
                Reason.REFERENCE_UNREADABLE,
                e instanceof AccessDeniedException
                        ? "reading the content-location is denied"
                        : "no object at the content-location");
    }

    private DecodeException tooLarge(long size, long limit, boolean streaming) {
        return new DecodeException(
                Reason.TOO_LARGE,
                "referenced object has "
                        + size
                        + " bytes, the limit is "
                        + limit
                        + (streaming || limit == maxBytes
                                ? " (ingest.max-reference-bytes)"
                                : " (limits.max-image-bytes; TIFF scenes up to"
                                        + " ingest.max-reference-bytes are streamed when"
                                        + " storage.offload-uri is set)"));
    }

    /** The reference as a URI under an allowed prefix, or a dead letter. */
    URI allowed(String location) throws DecodeException {
        if (allowedPrefixes.isEmpty()) {
            throw new DecodeException(
                    Reason.REFERENCE_REFUSED,
                    "images by reference are off (ingest.reference-prefixes is empty)");
        }
        int locationBytes = location.getBytes(StandardCharsets.UTF_8).length;
        if (locationBytes > ImageHeaders.MAX_VALUE_CHARS) {
            // Object stores refuse longer keys (S3: 1,024 bytes of UTF-8) with an error that is
            // neither "not found" nor "denied", which would fail the task on every replay. The
            // whole URI is at least as long as its key, also when characters are raw, not encoded.
            throw new DecodeException(
                    Reason.REFERENCE_REFUSED,
                    "content-location has "
                            + locationBytes
                            + " bytes of UTF-8, the limit is "
                            + ImageHeaders.MAX_VALUE_CHARS);
        }
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new DecodeException(Reason.REFERENCE_REFUSED, "content-location is not a URI");
        }
        if (uri.getScheme() == null
                || uri.getRawPath() == null
                || uri.getQuery() != null
                || uri.getFragment() != null
                || hasDotSegment(uri.getRawPath())
                || hasDotSegment(uri.getPath())) {
            throw new DecodeException(
                    Reason.REFERENCE_REFUSED,
                    "content-location must be an absolute URI without dot segments, query or"
                            + " fragment");
        }
        String normalized = lowerCaseScheme(uri.toString());
        for (String prefix : allowedPrefixes) {
            if (normalized.startsWith(prefix) && normalized.length() > prefix.length()) {
                return URI.create(normalized);
            }
        }
        throw new DecodeException(
                Reason.REFERENCE_REFUSED,
                "content-location is not under any of ingest.reference-prefixes");
    }

    private static boolean hasDotSegment(String path) {
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return path.contains("\\") || path.indexOf('\0') >= 0;
    }

    private static String lowerCaseScheme(String uri) {
        int colon = uri.indexOf(':');
        return uri.substring(0, colon).toLowerCase(Locale.ROOT) + uri.substring(colon);
    }
}
