package org.imagestream.routing;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A consistent-hash ring over the 2^64 hash space with virtual nodes. Every node is placed on the
 * ring at {@code virtualNodes} points ({@code hash(node + "#" + i)}); a key belongs to the first
 * point clockwise at or after {@code hash(key)}, wrapping past the top. Adding or removing a node
 * therefore moves only the keys between its points and their predecessors (about 1/n of all keys).
 *
 * <p>Hashes are the first 64 bits of MurmurHash3 x64-128 (seed 0) over UTF-8, compared as unsigned
 * values, so a lookup is identical in every JVM and on every machine. Lookups are a binary search
 * over a primitive sorted array: O(log V), no boxing.
 *
 * <p>Immutable and serializable: build it once from configuration and ship it to every subtask.
 */
public final class ConsistentHashRing implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<String> nodes;
    private final int virtualNodes;

    /** Ring positions, sorted as unsigned 64-bit values. */
    private final long[] points;

    /** {@code owners[i]} is the index into {@link #nodes} of the node at {@code points[i]}. */
    private final int[] owners;

    private ConsistentHashRing(List<String> nodes, int virtualNodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a consistent-hash ring needs at least one node");
        }
        if (virtualNodes < 1) {
            throw new IllegalArgumentException(
                    "virtual nodes per node must be >= 1, got " + virtualNodes);
        }
        if (nodes.stream().distinct().count() != nodes.size()) {
            throw new IllegalArgumentException("ring nodes must be unique, got " + nodes);
        }
        this.nodes = List.copyOf(nodes);
        this.virtualNodes = virtualNodes;
        int size = nodes.size() * virtualNodes;
        long[] hashes = new long[size];
        int[] nodeIndex = new int[size];
        int i = 0;
        for (int n = 0; n < nodes.size(); n++) {
            for (int v = 0; v < virtualNodes; v++) {
                hashes[i] = hash(nodes.get(n) + "#" + v);
                nodeIndex[i] = n;
                i++;
            }
        }
        // Sort points (unsigned) together with their owners; ties broken by node index so the
        // order never depends on input order within equal hashes.
        Integer[] order = new Integer[size];
        for (int k = 0; k < size; k++) {
            order[k] = k;
        }
        Arrays.sort(
                order,
                (a, b) -> {
                    int c = Long.compareUnsigned(hashes[a], hashes[b]);
                    return c != 0 ? c : Integer.compare(nodeIndex[a], nodeIndex[b]);
                });
        this.points = new long[size];
        this.owners = new int[size];
        for (int k = 0; k < size; k++) {
            points[k] = hashes[order[k]];
            owners[k] = nodeIndex[order[k]];
        }
    }

    /** A ring of {@code count} logical shards named {@code shard-000 .. shard-<count-1>}. */
    public static ConsistentHashRing ofShards(int count, int virtualNodes) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(String.format("shard-%03d", i));
        }
        return new ConsistentHashRing(names, virtualNodes);
    }

    public static ConsistentHashRing of(List<String> nodes, int virtualNodes) {
        return new ConsistentHashRing(nodes, virtualNodes);
    }

    public List<String> nodes() {
        return nodes;
    }

    public int virtualNodes() {
        return virtualNodes;
    }

    /** The node owning {@code key}: first ring point at or after its hash, wrapping around. */
    public String nodeFor(String key) {
        return nodes.get(owners[pointIndexFor(hash(key))]);
    }

    /** Index into the sorted points of the owner of {@code keyHash} (unsigned comparison). */
    int pointIndexFor(long keyHash) {
        int low = 0;
        int high = points.length - 1;
        if (Long.compareUnsigned(keyHash, points[high]) > 0) {
            return 0; // past the last point: wrap to the first
        }
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (Long.compareUnsigned(points[mid], keyHash) < 0) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    /** 64-bit ring position of a string: MurmurHash3 x64-128 (seed 0) over UTF-8, first half. */
    public static long hash(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash128x64(bytes, 0, bytes.length, 0)[0];
    }
}
