package org.imagestream.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.imagestream.routing.ConsistentHashRing;

/**
 * Prints the routing measurements recorded in docs/benchmarks.md: peak/mean keys per node for
 * 1,000,000 uniform keys, the fraction of keys moved when one node is added, and memory per node;
 * for the ring (default virtual nodes), jump consistent hash and Flink's key-group assignment (keys
 * straight to P = n subtasks, max parallelism 128). Run: {@code mvn -q test-compile
 * exec:exec@routing-report}.
 */
public final class RoutingReport {
    private static final int KEYS = 1_000_000;

    private RoutingReport() {}

    public static void main(String[] args) {
        String[] keys = new String[KEYS];
        long[] hashes = new long[KEYS];
        Random random = new Random(20261127);
        for (int i = 0; i < KEYS; i++) {
            keys[i] =
                    Long.toHexString(random.nextLong())
                            + Long.toHexString(random.nextLong())
                            + Long.toHexString(random.nextLong())
                            + Long.toHexString(random.nextLong());
            hashes[i] = ConsistentHashRing.hash(keys[i]);
        }
        int virtualNodes = ConsistentHashRing.DEFAULT_VIRTUAL_NODES;
        System.out.printf("keys=%d  ring virtual nodes per node=%d%n", KEYS, virtualNodes);
        System.out.println(
                "| n | ring peak/mean | ring moved on +1 | 1/(n+1) | ring bytes/node | jump peak/mean | jump moved on +1 | Flink key groups peak/mean (P=n, maxP=128) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int n : new int[] {4, 16, 64, 100}) {
            List<String> nodes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                nodes.add("node-" + i);
            }
            ConsistentHashRing ring = ConsistentHashRing.of(nodes, virtualNodes);
            ConsistentHashRing grown = ring.withNode("node-" + n, 1.0);
            int[] ringCounts = new int[n];
            int[] jumpCounts = new int[n];
            int[] flinkCounts = new int[n];
            int ringMoved = 0;
            int jumpMoved = 0;
            for (int i = 0; i < KEYS; i++) {
                int owner = ring.nodeIndexFor(keys[i]);
                ringCounts[owner]++;
                if (grown.nodeIndexFor(keys[i]) != owner) {
                    ringMoved++;
                }
                int bucket = JumpConsistentHash.bucket(hashes[i], n);
                jumpCounts[bucket]++;
                if (JumpConsistentHash.bucket(hashes[i], n + 1) != bucket) {
                    jumpMoved++;
                }
                flinkCounts[KeyGroupRangeAssignment.assignKeyToParallelOperator(keys[i], 128, n)]++;
            }
            // long position + int owner per point, plus the shared 2^16+1 bucket index.
            long bytesPerNode = (long) ring.size() * 12 / n + (65537L * 4) / n;
            System.out.printf(
                    "| %d | %.3f | %.4f | %.4f | %,d | %.3f | %.4f | %.3f |%n",
                    n,
                    peakOverMean(ringCounts),
                    ringMoved / (double) KEYS,
                    1.0 / (n + 1),
                    bytesPerNode,
                    peakOverMean(jumpCounts),
                    jumpMoved / (double) KEYS,
                    peakOverMean(flinkCounts));
        }
    }

    private static double peakOverMean(int[] counts) {
        long total = 0;
        int peak = 0;
        for (int c : counts) {
            total += c;
            peak = Math.max(peak, c);
        }
        return peak / (total / (double) counts.length);
    }
}
