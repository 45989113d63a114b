package org.imagestream.routing;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A consistent-hash ring over the 2^64 hash space with virtual nodes. Every node is placed on the
 * ring at {@code round(virtualNodes * weight)} points ({@code hash(node + "#" + i)}); a key belongs
 * to the first point clockwise at or after {@code hash(key)}, wrapping past the top. Adding or
 * removing a node therefore moves only the keys between its points and their predecessors (about
 * 1/n of all keys), and only to or from that node.
 *
 * <p>Hashes are the first 64 bits of MurmurHash3 x64-128 (seed 0) over UTF-8, compared as unsigned
 * values, so a lookup is identical in every JVM and on every machine. Lookups are a binary search
 * over a primitive sorted array: O(log V), no boxing, no allocation beyond the key's bytes.
 *
 * <p>Immutable and serializable: {@link #withNode} and {@link #withoutNode} return new rings.
 */
public final class ConsistentHashRing implements Serializable {
    private static final long serialVersionUID = 2L;

    /**
     * Default points per node of weight 1, chosen from measurements (docs/benchmarks.md): with 8192
     * the busiest of 100 nodes holds under 1.05x the mean key count; with 1024 it is ~1.08x. Costs
     * 12 bytes per point (98 KB per node); lookups stay O(1) through the bucket index.
     */
    public static final int DEFAULT_VIRTUAL_NODES = 8192;

    private final LinkedHashMap<String, Double> weights;
    private final int virtualNodes;
    private final List<String> nodes;

    /** Ring positions, sorted as unsigned 64-bit values. */
    private final long[] points;

    /** {@code owners[i]} is the index into {@link #nodes} of the node at {@code points[i]}. */
    private final int[] owners;

    private static final int BUCKET_BITS = 16;
    private final int[] bucketStart;

    private ConsistentHashRing(LinkedHashMap<String, Double> weights, int virtualNodes) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("a consistent-hash ring needs at least one node");
        }
        if (virtualNodes < 1) {
            throw new IllegalArgumentException(
                    "virtual nodes per node must be >= 1, got " + virtualNodes);
        }
        this.weights = weights;
        this.virtualNodes = virtualNodes;
        this.nodes = List.copyOf(weights.keySet());
        // Generate points node by node in name order: the stable sort below then breaks ties
        // (two points at one position, astronomically rare) by name, never by insertion order.
        List<String> byName = new ArrayList<>(nodes);
        byName.sort(null);
        int size = 0;
        int[] counts = new int[byName.size()];
        for (int n = 0; n < byName.size(); n++) {
            double weight = weights.get(byName.get(n));
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException(
                        "node weight must be positive and finite, got "
                                + weight
                                + " for "
                                + byName.get(n));
            }
            counts[n] = Math.max(1, (int) Math.round(virtualNodes * weight));
            size += counts[n];
        }
        long[] hashes = new long[size];
        int[] nodeIndex = new int[size];
        int i = 0;
        for (int n = 0; n < byName.size(); n++) {
            int owner = nodes.indexOf(byName.get(n));
            for (int v = 0; v < counts[n]; v++) {
                hashes[i] = hash(byName.get(n) + "#" + v);
                nodeIndex[i] = owner;
                i++;
            }
        }
        radixSortUnsigned(hashes, nodeIndex);
        this.points = hashes;
        this.owners = nodeIndex;
        this.bucketStart = buildBuckets(points);
    }

    /**
     * Stable LSD radix sort of unsigned 64-bit keys, carrying {@code values} along: sorting ~10^6
     * points as primitives, without boxing them for a comparator.
     */
    private static void radixSortUnsigned(long[] keys, int[] values) {
        int n = keys.length;
        long[] keyBuffer = new long[n];
        int[] valueBuffer = new int[n];
        long[] fromKeys = keys;
        int[] fromValues = values;
        long[] toKeys = keyBuffer;
        int[] toValues = valueBuffer;
        for (int shift = 0; shift < 64; shift += 8) {
            int[] counts = new int[257];
            for (int i = 0; i < n; i++) {
                counts[(int) ((fromKeys[i] >>> shift) & 0xff) + 1]++;
            }
            for (int b = 0; b < 256; b++) {
                counts[b + 1] += counts[b];
            }
            for (int i = 0; i < n; i++) {
                int bucket = (int) ((fromKeys[i] >>> shift) & 0xff);
                int target = counts[bucket]++;
                toKeys[target] = fromKeys[i];
                toValues[target] = fromValues[i];
            }
            long[] swapKeys = fromKeys;
            fromKeys = toKeys;
            toKeys = swapKeys;
            int[] swapValues = fromValues;
            fromValues = toValues;
            toValues = swapValues;
        }
        // Eight passes: the sorted data is back in the caller's arrays.
    }

    /**
     * {@code bucketStart[b]} is the index of the first point whose top {@value #BUCKET_BITS} bits
     * are >= b. A lookup then binary-searches only its bucket (a handful of points) instead of the
     * whole ring: two cache misses instead of twenty.
     */
    private static int[] buildBuckets(long[] points) {
        int buckets = 1 << BUCKET_BITS;
        int[] start = new int[buckets + 1];
        int p = 0;
        for (int b = 0; b <= buckets; b++) {
            while (p < points.length && (points[p] >>> (64 - BUCKET_BITS)) < b) {
                p++;
            }
            start[b] = p;
        }
        return start;
    }

    /** Only the node weights and the virtual-node count are serialized; points are rebuilt. */
    private Object writeReplace() {
        return new SerializedForm(new LinkedHashMap<>(weights), virtualNodes);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("use SerializedForm");
    }

    private record SerializedForm(LinkedHashMap<String, Double> weights, int virtualNodes)
            implements Serializable {
        private Object readResolve() {
            return new ConsistentHashRing(weights, virtualNodes);
        }
    }

    /** A ring of {@code count} equal logical shards named {@code shard-000 .. shard-<count-1>}. */
    public static ConsistentHashRing ofShards(int count, int virtualNodes) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(shardName(i));
        }
        return of(names, virtualNodes);
    }

    public static String shardName(int index) {
        return String.format("shard-%03d", index);
    }

    /** A ring of equally weighted nodes. */
    public static ConsistentHashRing of(List<String> nodes, int virtualNodes) {
        LinkedHashMap<String, Double> weights = new LinkedHashMap<>();
        for (String node : nodes) {
            if (weights.put(node, 1.0) != null) {
                throw new IllegalArgumentException("ring nodes must be unique, got " + nodes);
            }
        }
        return new ConsistentHashRing(weights, virtualNodes);
    }

    /** A ring whose nodes own key shares proportional to their weights. */
    public static ConsistentHashRing weighted(Map<String, Double> weights, int virtualNodes) {
        return new ConsistentHashRing(new LinkedHashMap<>(weights), virtualNodes);
    }

    /** A new ring with {@code node} added (or re-weighted); this ring is unchanged. */
    public ConsistentHashRing withNode(String node, double weight) {
        LinkedHashMap<String, Double> copy = new LinkedHashMap<>(weights);
        copy.put(node, weight);
        return new ConsistentHashRing(copy, virtualNodes);
    }

    /** A new ring without {@code node}; this ring is unchanged. */
    public ConsistentHashRing withoutNode(String node) {
        if (!weights.containsKey(node)) {
            throw new IllegalArgumentException("no node '" + node + "' on the ring " + nodes);
        }
        LinkedHashMap<String, Double> copy = new LinkedHashMap<>(weights);
        copy.remove(node);
        return new ConsistentHashRing(copy, virtualNodes);
    }

    public List<String> nodes() {
        return nodes;
    }

    public int virtualNodes() {
        return virtualNodes;
    }

    /** Number of points on the ring (all virtual nodes of all nodes). */
    public int size() {
        return points.length;
    }

    /** The node owning {@code key}: first ring point at or after its hash, wrapping around. */
    public String nodeFor(String key) {
        return nodes.get(owners[pointIndexFor(hash(key))]);
    }

    /** Index into {@link #nodes()} of the owner of {@code key}. */
    public int nodeIndexFor(String key) {
        return owners[pointIndexFor(hash(key))];
    }

    /** Index into {@link #nodes()} of the owner of a precomputed {@link #hash} value. */
    public int nodeIndexForHash(long keyHash) {
        return owners[pointIndexFor(keyHash)];
    }

    /** Index into the sorted points of the owner of {@code keyHash} (unsigned comparison). */
    int pointIndexFor(long keyHash) {
        int bucket = (int) (keyHash >>> (64 - BUCKET_BITS));
        int low = bucketStart[bucket];
        int high = bucketStart[bucket + 1];
        // Every point in later buckets is larger, so the answer is in [low, high]; high itself
        // (the next bucket's first point) when no point of this bucket is >= the key.
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (Long.compareUnsigned(points[mid], keyHash) < 0) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low == points.length ? 0 : low; // past the last point: wrap to the first
    }

    /** 64-bit ring position of a string: MurmurHash3 x64-128 (seed 0) over UTF-8, first half. */
    public static long hash(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash128x64(bytes, 0, bytes.length, 0)[0];
    }
}
