package org.imagestream.testing;

import java.util.Random;
import org.imagestream.decode.DecodeException;

/**
 * Seeded random damage for a codec's robustness tests: copies of a stream with 1 to 8 bytes
 * replaced, each decoded; a {@link DecodeException} counts as refused, any other exception
 * propagates and fails the test.
 */
public final class DamagedStreams {
    /** One decode of a damaged copy. */
    @FunctionalInterface
    public interface Decoder {
        void decode(byte[] stream) throws DecodeException;
    }

    /** How the damaged copies ended. */
    public record Outcome(int decoded, int refused) {}

    private DamagedStreams() {}

    public static Outcome decodeDamaged(byte[] stream, long seed, int copies, Decoder decoder) {
        Random random = new Random(seed);
        int decoded = 0;
        int refused = 0;
        for (int copy = 0; copy < copies; copy++) {
            byte[] damaged = stream.clone();
            int changes = 1 + random.nextInt(8);
            for (int c = 0; c < changes; c++) {
                damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
            }
            try {
                decoder.decode(damaged);
                decoded++;
            } catch (DecodeException e) {
                refused++;
            }
        }
        return new Outcome(decoded, refused);
    }
}
