package org.imagestream.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.imagestream.routing.ConsistentHashRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lookups per second, single thread: the ring (hash + bucket-indexed search) beside jump consistent
 * hash and Flink's key-group assignment, all on the same SHA-256-hex keys. Run: {@code mvn -q
 * test-compile exec:exec@jmh -Djmh.args="RingLookup"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RingLookupBenchmark {
    @Param({"64", "100"})
    int nodes;

    private ConsistentHashRing ring;
    private String[] keys;
    private long[] keyHashes;
    private int next;

    @Setup
    public void setUp() {
        ring = ConsistentHashRing.ofShards(nodes, ConsistentHashRing.DEFAULT_VIRTUAL_NODES);
        Random random = new Random(1);
        keys = new String[4096];
        keyHashes = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            StringBuilder sha = new StringBuilder();
            for (int j = 0; j < 4; j++) {
                sha.append(String.format("%016x", random.nextLong()));
            }
            keys[i] = sha.toString();
            keyHashes[i] = ConsistentHashRing.hash(keys[i]);
        }
    }

    private String nextKey() {
        next = (next + 1) & (keys.length - 1);
        return keys[next];
    }

    /** The full cost the job pays per image: hash the 64-char key, then find its node. */
    @Benchmark
    public int ringLookupWithHash() {
        return ring.nodeIndexFor(nextKey());
    }

    /** The ring on a precomputed key hash: the search alone. */
    @Benchmark
    public int ringLookupOnly() {
        next = (next + 1) & (keys.length - 1);
        return ring.nodeIndexForHash(keyHashes[next]);
    }

    /** Jump hash with the same 64-bit key hash (hashing included, for a like-for-like cost). */
    @Benchmark
    public int jumpHashWithHash() {
        return JumpConsistentHash.bucket(ConsistentHashRing.hash(nextKey()), nodes);
    }

    /** Jump hash on a precomputed key hash: the algorithm alone. */
    @Benchmark
    public int jumpHashOnly() {
        next = (next + 1) & (keys.length - 1);
        return JumpConsistentHash.bucket(keyHashes[next], nodes);
    }

    /**
     * What Flink does for every keyed record: String.hashCode, murmur, key group, subtask. Note
     * that String caches its hashCode, and these key objects are reused, so this measures the
     * assignment without the string hash; a fresh key per record would pay it once.
     */
    @Benchmark
    public int flinkKeyGroupAssignment() {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(nextKey(), 128, nodes);
    }
}
