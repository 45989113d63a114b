package org.imagestream.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;

/**
 * WebP files written from Google's container and lossless bitstream specifications (RFC 9649), with
 * no code of the project: RIFF chunks, and the least-significant-bit-first bits of a VP8L stream.
 */
public final class WebpFiles {
    private WebpFiles() {}

    /** A RIFF WebP file of {@code chunks}, its size counting them all. */
    public static byte[] riff(byte[]... chunks) {
        byte[] body = Bytes.concat(chunks);
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(4 + body.length);
        header.put("WEBP".getBytes(StandardCharsets.US_ASCII));
        return Bytes.concat(header.array(), body);
    }

    /** A chunk: FourCC, little-endian length, data padded to an even size. */
    public static byte[] chunk(String fourcc, byte[] data) {
        ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        header.put(fourcc.getBytes(StandardCharsets.US_ASCII)).putInt(data.length);
        return Bytes.concat(header.array(), data, new byte[data.length & 1]);
    }

    /** Bits written least significant first, as VP8L is read. */
    public static final class LsbBits {
        private final BitSet bits = new BitSet();
        private int length;

        /** The {@code count} low bits of {@code value}, lowest first. */
        public LsbBits write(int value, int count) {
            for (int i = 0; i < count; i++) {
                bits.set(length++, ((value >> i) & 1) == 1);
            }
            return this;
        }

        /** A prefix code's bits: its top bit first. */
        public LsbBits writeCode(int code, int length) {
            for (int i = length - 1; i >= 0; i--) {
                write(code >> i, 1);
            }
            return this;
        }

        /** Another stream's bits after these. */
        public LsbBits append(LsbBits other) {
            for (int i = 0; i < other.length; i++) {
                bits.set(length++, other.bits.get(i));
            }
            return this;
        }

        /** Everything written, the last byte padded with zero bits. */
        public byte[] toByteArray() {
            return Arrays.copyOf(bits.toByteArray(), (length + 7) / 8);
        }
    }
}
