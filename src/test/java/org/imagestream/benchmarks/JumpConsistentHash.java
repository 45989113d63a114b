package org.imagestream.benchmarks;

/**
 * Jump consistent hash (Lamping and Veach, 2014), the comparison point for the ring: O(ln n) time,
 * no memory, perfect balance, but buckets can only be added or removed at the end.
 */
final class JumpConsistentHash {
    private JumpConsistentHash() {}

    static int bucket(long key, int buckets) {
        long b = -1;
        long j = 0;
        while (j < buckets) {
            b = j;
            key = key * 2862933555777941757L + 1;
            j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
        }
        return (int) b;
    }
}
