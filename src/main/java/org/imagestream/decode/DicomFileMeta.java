package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.imagestream.decode.DecodeException.Reason;

/**
 * The DICOM Part 10 file meta group (group 0002, always explicit VR little endian, PS3.10 7.1):
 * read before the pixel decoder runs, so a transfer syntax the decoder cannot handle is refused
 * with a clear reason, and a deflated dataset (1.2.840.10008.1.2.1.99) is inflated into explicit VR
 * little endian, which the decoder reads. The compressed syntaxes {@link EncapsulatedPixelData}
 * decodes pass through as they are (their datasets are explicit VR little endian).
 */
final class DicomFileMeta {
    static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
    static final String DEFLATED_LE = "1.2.840.10008.1.2.1.99";

    /** Syntaxes whose pixel data is native (not encapsulated) once the file is readable. */
    static final java.util.Set<String> NATIVE =
            java.util.Set.of(IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED_LE);

    /** Names of the common compressed syntaxes, for messages. */
    static final Map<String, String> COMPRESSED =
            Map.ofEntries(
                    Map.entry("1.2.840.10008.1.2.4.50", "JPEG baseline"),
                    Map.entry("1.2.840.10008.1.2.4.51", "JPEG extended"),
                    Map.entry("1.2.840.10008.1.2.4.57", "JPEG lossless"),
                    Map.entry("1.2.840.10008.1.2.4.70", "JPEG lossless SV1"),
                    Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS lossless"),
                    Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS near-lossless"),
                    Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 lossless"),
                    Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
                    Map.entry(
                            "1.2.840.10008.1.2.4.92", "JPEG 2000 part 2 multi-component lossless"),
                    Map.entry("1.2.840.10008.1.2.4.93", "JPEG 2000 part 2 multi-component"),
                    Map.entry("1.2.840.10008.1.2.4.201", "HTJ2K lossless"),
                    Map.entry("1.2.840.10008.1.2.4.202", "HTJ2K lossless RPCL"),
                    Map.entry("1.2.840.10008.1.2.4.203", "HTJ2K"),
                    Map.entry("1.2.840.10008.1.2.4.110", "JPEG XL lossless"),
                    Map.entry("1.2.840.10008.1.2.4.111", "JPEG XL JPEG recompression"),
                    Map.entry("1.2.840.10008.1.2.4.112", "JPEG XL"),
                    Map.entry("1.2.840.10008.1.2.5", "RLE lossless"));

    private static final int PREAMBLE_AND_PREFIX = 132;

    private DicomFileMeta() {}

    /**
     * A Part 10 file the pixel decoder can read.
     *
     * @param datasetOffset where the dataset starts, after the file meta group
     * @param transferSyntax of the dataset in {@code bytes} (explicit LE once inflated)
     * @param syntaxValueAt where the meta group's transfer syntax value lies in {@code bytes}
     * @param syntaxLength its length (padded to even)
     */
    record Readable(
            byte[] bytes,
            int datasetOffset,
            String transferSyntax,
            int syntaxValueAt,
            int syntaxLength) {}

    /**
     * Returns bytes the pixel decoder can read: the input itself for uncompressed syntaxes, the
     * inflated file for deflated ones; refuses everything else.
     */
    static Readable open(byte[] file, DecodeLimits limits) throws DecodeException {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int at = PREAMBLE_AND_PREFIX;
        String transferSyntax = null;
        int syntaxValueAt = -1;
        int syntaxLength = 0;
        while (at + 8 <= file.length && in.getShort(at) == 0x0002) {
            int element = Short.toUnsignedInt(in.getShort(at + 2));
            String vr = new String(file, at + 4, 2, StandardCharsets.US_ASCII);
            long length;
            int valueAt;
            if (DicomHeader.LONG_VRS.contains(vr)) {
                if (at + 12 > file.length) {
                    break;
                }
                length = Integer.toUnsignedLong(in.getInt(at + 8));
                valueAt = at + 12;
            } else {
                length = Short.toUnsignedInt(in.getShort(at + 6));
                valueAt = at + 8;
            }
            if (valueAt + length > file.length) {
                throw new DecodeException(Reason.CORRUPT, "DICOM file meta group is truncated");
            }
            if (element == 0x0010) {
                transferSyntax =
                        new String(file, valueAt, (int) length, StandardCharsets.US_ASCII)
                                .replace("\0", "")
                                .trim();
                syntaxValueAt = valueAt;
                syntaxLength = (int) length;
            }
            at = valueAt + (int) length;
        }
        if (transferSyntax == null) {
            throw new DecodeException(
                    Reason.CORRUPT, "DICOM file meta group has no transfer syntax (0002,0010)");
        }
        if (transferSyntax.equals(DEFLATED_LE)) {
            return new Readable(
                    inflate(file, at, syntaxValueAt, syntaxLength, limits),
                    at,
                    EXPLICIT_LE,
                    syntaxValueAt,
                    syntaxLength);
        }
        if (NATIVE.contains(transferSyntax)
                || EncapsulatedPixelData.DECODED.contains(transferSyntax)) {
            return new Readable(file, at, transferSyntax, syntaxValueAt, syntaxLength);
        }
        throw new DecodeException(
                Reason.UNSUPPORTED_FORMAT,
                "unsupported transfer syntax "
                        // Quoted only when it is a UID: a dead letter's message carries no free
                        // text from a medical file's header.
                        + (transferSyntax.matches("[0-9.]{1,64}") ? transferSyntax : "(not a UID)")
                        + (COMPRESSED.containsKey(transferSyntax)
                                ? " (" + COMPRESSED.get(transferSyntax) + ")"
                                : "")
                        + "; supported: implicit and explicit VR little endian, explicit VR big"
                        + " endian, deflated, "
                        + EncapsulatedPixelData.DECODED.stream()
                                .sorted()
                                .map(COMPRESSED::get)
                                .collect(java.util.stream.Collectors.joining(", ")));
    }

    /**
     * The first {@code length} bytes of a file with the transfer syntax value in its meta group set
     * to explicit VR little endian (padded with NULs to the same length, so no group length
     * changes), in an array of {@code capacity} bytes.
     */
    static byte[] explicitLittleEndianCopy(Readable readable, int length, int capacity) {
        return explicitLittleEndianCopy(
                readable.bytes(),
                readable.syntaxValueAt(),
                readable.syntaxLength(),
                length,
                capacity);
    }

    private static byte[] explicitLittleEndianCopy(
            byte[] file, int syntaxAt, int syntaxLength, int length, int capacity) {
        byte[] out = new byte[capacity];
        System.arraycopy(file, 0, out, 0, length);
        byte[] explicit = EXPLICIT_LE.getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(out, syntaxAt, syntaxAt + syntaxLength, (byte) 0);
        System.arraycopy(explicit, 0, out, syntaxAt, Math.min(explicit.length, syntaxLength));
        return out;
    }

    /**
     * The meta group unchanged except for its transfer syntax, now explicit VR little endian
     * (padded with NULs to the same length, so no group length changes), then the inflated dataset.
     * Inflation stops at {@link DecodeLimits#maxDecodeMemory} (a few hundred kB of deflated zeros
     * inflate to gigabytes), and the buffer grows at most to that limit, never by doubling past it.
     */
    private static byte[] inflate(
            byte[] file, int datasetAt, int syntaxAt, int syntaxLength, DecodeLimits limits)
            throws DecodeException {
        long limit = Math.min(limits.maxDecodeMemory(), Integer.MAX_VALUE - 16);
        byte[] out =
                explicitLittleEndianCopy(
                        file,
                        syntaxAt,
                        syntaxLength,
                        datasetAt,
                        (int)
                                Math.max(
                                        datasetAt,
                                        Math.min(limit, Math.max(64 * 1024L, file.length * 4L))));
        int size = datasetAt;
        Inflater inflater = new Inflater(true); // raw deflate, no zlib header (PS3.5 A.5)
        try {
            inflater.setInput(file, datasetAt, file.length - datasetAt);
            while (!inflater.finished()) {
                if (size == out.length) {
                    if (out.length >= limit) {
                        throw new DecodeException(
                                Reason.TOO_LARGE,
                                "deflated DICOM dataset inflates beyond "
                                        + limit
                                        + " bytes (limits.max-decode-memory)");
                    }
                    out = Arrays.copyOf(out, (int) Math.min(limit, out.length * 2L));
                }
                int n = inflater.inflate(out, size, out.length - size);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break; // truncated stream: keep what inflated
                }
                size += n;
            }
        } catch (DataFormatException e) {
            throw new DecodeException(Reason.CORRUPT, "deflated DICOM dataset is corrupt", e);
        } finally {
            inflater.end();
        }
        return size == out.length ? out : Arrays.copyOf(out, size);
    }
}
