package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UnusedPixelBitsTest {
    /**
     * Every layout with unused bits (every Bits Stored, High Bits in steps of three from the
     * lowest), both byte orders, lengths that are and are not whole samples or whole eight-byte
     * words, from an offset into the file to an offset into an output that holds other bytes: each
     * sample must equal its raw value masked sample by sample (computed here, one sample at a
     * time), padding bytes zero, and the output's other bytes as they were.
     */
    @Test
    void shouldKeepOnlyTheStoredBitsOfEverySample() {
        Random random = new Random(11);
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (int allocated : new int[] {8, 16, 32}) {
                for (int stored = 1; stored < allocated; stored++) {
                    for (int highBit = stored - 1; highBit < allocated; highBit += 3) {
                        for (int length : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 40, 1001}) {
                            byte[] file = new byte[length + 5];
                            random.nextBytes(file);
                            byte[] output = new byte[length + 9];
                            random.nextBytes(output);
                            byte[] before = output.clone();
                            UnusedPixelBits.copyCleared(
                                    file,
                                    3,
                                    3 + length,
                                    output,
                                    4,
                                    order,
                                    allocated,
                                    stored,
                                    highBit);
                            byte[] cleared = Arrays.copyOfRange(output, 4, 4 + length);
                            String layout =
                                    order + " " + allocated + "/" + stored + "/" + highBit + " x"
                                            + length;
                            assertThat(cleared).as(layout).hasSize(length);
                            long mask = 0; // bit by bit: those from highBit down, stored of them
                            for (int bit = highBit; bit > highBit - stored; bit--) {
                                mask |= 1L << bit;
                            }
                            int bytes = allocated / 8;
                            ByteBuffer raw = ByteBuffer.wrap(file, 3, length).slice().order(order);
                            ByteBuffer out = ByteBuffer.wrap(cleared).order(order);
                            int whole = length / bytes * bytes;
                            for (int at = 0; at < whole; at += bytes) {
                                long expected = read(raw, at, bytes) & mask;
                                assertThat(read(out, at, bytes))
                                        .as("%s sample at %d", layout, at)
                                        .isEqualTo(expected);
                            }
                            for (int at = whole; at < length; at++) {
                                assertThat(cleared[at]).as("%s padding", layout).isZero();
                            }
                            assertThat(Arrays.copyOfRange(output, 0, 4))
                                    .as("%s before the value", layout)
                                    .isEqualTo(Arrays.copyOfRange(before, 0, 4));
                            assertThat(Arrays.copyOfRange(output, 4 + length, output.length))
                                    .as("%s after the value", layout)
                                    .isEqualTo(Arrays.copyOfRange(before, 4 + length, 9 + length));
                        }
                    }
                }
            }
        }
    }

    @Test
    void shouldCopyALayoutWithoutUnusedBitsAsItIs() {
        byte[] file = new byte[64];
        new Random(5).nextBytes(file);
        byte[] copy = new byte[66];
        UnusedPixelBits.copyCleared(file, 0, 64, copy, 1, ByteOrder.LITTLE_ENDIAN, 16, 16, 15);
        assertThat(Arrays.copyOfRange(copy, 1, 65)).isEqualTo(file);
        assertThat(copy[0]).isZero();
        assertThat(copy[65]).isZero();
    }

    private static long read(ByteBuffer buffer, int at, int bytes) {
        return switch (bytes) {
            case 1 -> Byte.toUnsignedLong(buffer.get(at));
            case 2 -> Short.toUnsignedLong(buffer.getShort(at));
            default -> Integer.toUnsignedLong(buffer.getInt(at));
        };
    }
}
