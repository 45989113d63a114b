package org.imagestream.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Byte searches, edits and joins the tests use to find markers, plant damage and build files. */
public final class Bytes {
    private Bytes() {}

    /** The first index of {@code needle} in {@code haystack}, or -1. */
    public static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    /** The first JPEG marker FF {@code code}; fails the test when there is none. */
    public static int marker(byte[] codestream, int code) {
        int at = indexOf(codestream, new byte[] {(byte) 0xFF, (byte) code});
        if (at < 0) {
            throw new AssertionError("no marker FF" + Integer.toHexString(code).toUpperCase());
        }
        return at;
    }

    /**
     * The JPEG or JPEG-LS codestream in a single-fragment DICOM file: from its start-of-image
     * marker to its last end-of-image marker.
     */
    public static byte[] jpegCodestream(byte[] file) {
        int start = indexOf(file, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF});
        int end = file.length;
        while (end > start + 2
                && !((file[end - 2] & 0xFF) == 0xFF && (file[end - 1] & 0xFF) == 0xD9)) {
            end--;
        }
        if (start < 0 || end <= start + 2) {
            throw new AssertionError("no JPEG codestream");
        }
        return Arrays.copyOfRange(file, start, end);
    }

    /**
     * A copy of {@code bytes} with its one occurrence of the ASCII text {@code from} replaced by
     * {@code to}, of the same length (a DICOM UID swapped without changing any length field).
     */
    public static byte[] replacedAscii(byte[] bytes, String from, String to) {
        byte[] old = from.getBytes(StandardCharsets.US_ASCII);
        byte[] replacement = to.getBytes(StandardCharsets.US_ASCII);
        if (old.length != replacement.length) {
            throw new IllegalArgumentException(from + " and " + to + " differ in length");
        }
        int at = indexOf(bytes, old);
        if (at < 0 || indexOf(Arrays.copyOfRange(bytes, at + 1, bytes.length), old) >= 0) {
            throw new AssertionError(from + " does not occur exactly once");
        }
        byte[] copy = bytes.clone();
        System.arraycopy(replacement, 0, copy, at, replacement.length);
        return copy;
    }

    /** The parts one after another. */
    public static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
