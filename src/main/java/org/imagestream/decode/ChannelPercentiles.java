package org.imagestream.decode;

/**
 * Exact per-channel percentiles of a scene too large to hold, from two passes over its samples in
 * any order and any portions: the value a full sort would put at rank {@code round(p / 100 x (n -
 * 1))} (as {@link ModelInput#stretchValues} picks it), found by a two-digit radix selection over
 * the floats' order-preserving 32-bit keys. The first pass counts the upper 16 bits of every key,
 * which fixes the bucket holding each wanted rank; the second counts the lower 16 bits of the keys
 * in those buckets only. Memory is three 65,536-entry counters per channel whatever the scene's
 * size.
 */
final class ChannelPercentiles {
    private static final int DIGIT = 1 << 16;

    private final int channels;
    private final long[] ranks;
    private int pass = 1;

    /** First pass: per channel, counts of the upper key halves. */
    private long[][] upper;

    /** Per channel and wanted rank: its upper key half, and its rank within that bucket. */
    private final int[][] bucket;

    private final long[][] rankInBucket;

    /** Second pass: per channel and wanted rank, counts of the lower key halves in its bucket. */
    private long[][][] lower;

    private final float[][] values;

    /**
     * @param pixels samples per channel the passes will count (every pixel once)
     * @param percentiles wanted percentiles, each in [0, 100]
     */
    ChannelPercentiles(int channels, long pixels, float[] percentiles) {
        if (pixels < 1) {
            throw new IllegalArgumentException("no pixels");
        }
        this.channels = channels;
        this.ranks = new long[percentiles.length];
        for (int i = 0; i < percentiles.length; i++) {
            ranks[i] = Math.round(percentiles[i] / 100.0 * (pixels - 1));
        }
        upper = new long[channels][DIGIT];
        bucket = new int[channels][percentiles.length];
        rankInBucket = new long[channels][percentiles.length];
        values = new float[channels][percentiles.length];
    }

    /** Heap the counters take at most: the second pass's, per channel and wanted percentile. */
    static long bytes(int channels, int percentiles) {
        return (long) channels * Math.max(1, percentiles) * DIGIT * Long.BYTES;
    }

    /** 1 or 2: which pass {@link #count} is feeding. */
    int pass() {
        return pass;
    }

    /** Counts interleaved samples (pixel by pixel, {@code channels} values each). */
    void count(float[] samples) {
        if (pass == 1) {
            for (int i = 0; i < samples.length; i++) {
                upper[i % channels][key(samples[i]) >>> 16]++;
            }
        } else {
            for (int i = 0; i < samples.length; i++) {
                int channel = i % channels;
                int key = key(samples[i]);
                int high = key >>> 16;
                int[] wanted = bucket[channel];
                for (int w = 0; w < wanted.length; w++) {
                    if (wanted[w] == high) {
                        lower[channel][w][key & 0xffff]++;
                    }
                }
            }
        }
    }

    /** Ends a pass; true when another pass over every sample is needed. */
    boolean endPass() {
        if (pass == 1) {
            for (int c = 0; c < channels; c++) {
                for (int w = 0; w < ranks.length; w++) {
                    int digit = digitAt(upper[c], ranks[w]);
                    bucket[c][w] = digit;
                    rankInBucket[c][w] = ranks[w] - countBelow(upper[c], digit);
                }
            }
            upper = null;
            lower = new long[channels][ranks.length][DIGIT];
            pass = 2;
            return true;
        }
        if (pass == 2) {
            for (int c = 0; c < channels; c++) {
                for (int w = 0; w < ranks.length; w++) {
                    int digit = digitAt(lower[c][w], rankInBucket[c][w]);
                    values[c][w] = value((bucket[c][w] << 16) | digit);
                }
            }
            lower = null;
            pass = 3;
        }
        return false;
    }

    /** The digit whose counted keys hold the one at {@code rank} (0-based, in key order). */
    private static int digitAt(long[] counts, long rank) {
        long below = 0;
        for (int digit = 0; digit < counts.length; digit++) {
            below += counts[digit];
            if (below > rank) {
                return digit;
            }
        }
        throw new IllegalStateException("fewer samples counted than the scene has");
    }

    private static long countBelow(long[] counts, int digit) {
        long below = 0;
        for (int d = 0; d < digit; d++) {
            below += counts[d];
        }
        return below;
    }

    /** After both passes: the {@code which}-th wanted percentile of a channel. */
    float value(int channel, int which) {
        if (pass != 3) {
            throw new IllegalStateException("percentiles are known after two passes");
        }
        return values[channel][which];
    }

    /**
     * An int whose unsigned order is {@link Float#compare}'s (and so {@code Arrays.sort}'s): -0.0
     * before 0.0, every NaN collapsed to one value after +infinity.
     */
    static int key(float value) {
        int bits = Float.floatToIntBits(value);
        return bits ^ ((bits >> 31) | 0x80000000);
    }

    static float value(int key) {
        int bits = key < 0 ? key ^ 0x80000000 : ~key;
        return Float.intBitsToFloat(bits);
    }
}
