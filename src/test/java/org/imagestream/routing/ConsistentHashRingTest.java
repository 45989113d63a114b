package org.imagestream.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.shaded.guava33.com.google.common.hash.Hashing;
import org.junit.jupiter.api.Test;

class ConsistentHashRingTest {
    private static final int KEYS = 50_000;

    @Test
    void shouldMatchGuavaMurmur3ReferenceHash() {
        Random random = new Random(1);
        for (int i = 0; i < 1000; i++) {
            String key = Long.toHexString(random.nextLong()) + "-" + i;
            long reference =
                    Hashing.murmur3_128().hashBytes(key.getBytes(StandardCharsets.UTF_8)).asLong();
            assertThat(ConsistentHashRing.hash(key)).as(key).isEqualTo(reference);
        }
    }

    @Test
    void shouldBeDeterministicAcrossRunsAndMachines() {
        // Golden values checked in: a change here silently reroutes every image in production.
        assertThat(ConsistentHashRing.hash("imagestream")).isEqualTo(-1869436716990729356L);
        ConsistentHashRing ring = ConsistentHashRing.ofShards(64, 128);
        assertThat(ring.nodeFor("a")).isEqualTo("shard-030");
        assertThat(ring.nodeFor("image-1")).isEqualTo("shard-009");
        assertThat(ring.nodeFor("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
                .isEqualTo("shard-012");
    }

    @Test
    void shouldWrapAroundPastTheTopOfTheRing() {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(4, 8);
        // 0xFFFF_FFFF_FFFF_FFFF is the largest unsigned position: past every point unless a point
        // sits exactly there, so it belongs to the first point (index 0).
        assertThat(ring.pointIndexFor(-1L)).isZero();
        assertThat(ring.pointIndexFor(0L)).isZero();
    }

    @Test
    void shouldSendEachKeyToTheFirstPointAtOrAfterItsHash() {
        ConsistentHashRing ring = ConsistentHashRing.of(List.of("n1", "n2", "n3"), 4);
        // Brute force over all points: the owner is the point with the smallest unsigned
        // distance clockwise from the key's hash.
        List<long[]> points = new ArrayList<>();
        for (String node : ring.nodes()) {
            for (int v = 0; v < 4; v++) {
                points.add(
                        new long[] {
                            ConsistentHashRing.hash(node + "#" + v), ring.nodes().indexOf(node)
                        });
            }
        }
        Random random = new Random(3);
        for (int i = 0; i < 2000; i++) {
            String key = "key-" + random.nextInt();
            long hash = ConsistentHashRing.hash(key);
            long[] best = null;
            for (long[] point : points) {
                long distance = point[0] - hash; // unsigned clockwise distance, wraps naturally
                if (best == null || Long.compareUnsigned(distance, best[0] - hash) < 0) {
                    best = point;
                }
            }
            assertThat(ring.nodeFor(key)).isEqualTo(ring.nodes().get((int) best[1]));
        }
    }

    @Test
    void shouldMoveOnlyKeysOfTheAddedNode() {
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            nodes.add("node-" + i);
        }
        ConsistentHashRing before = ConsistentHashRing.of(nodes, 128);
        List<String> grown = new ArrayList<>(nodes);
        grown.add("node-10");
        ConsistentHashRing after = ConsistentHashRing.of(grown, 128);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            String key = "image-" + i;
            String was = before.nodeFor(key);
            String now = after.nodeFor(key);
            if (!was.equals(now)) {
                assertThat(now)
                        .as("a moved key may only move to the new node")
                        .isEqualTo("node-10");
                moved++;
            }
        }
        // Expect about 1/11 of the keys to move.
        assertThat(moved / (double) KEYS).isBetween(0.06, 0.13);
    }

    @Test
    void shouldMoveOnlyKeysOfTheRemovedNode() {
        ConsistentHashRing before = ConsistentHashRing.of(List.of("a", "b", "c", "d", "e"), 128);
        ConsistentHashRing after = ConsistentHashRing.of(List.of("a", "b", "d", "e"), 128);
        for (int i = 0; i < KEYS; i++) {
            String key = "image-" + i;
            String was = before.nodeFor(key);
            if (!was.equals("c")) {
                assertThat(after.nodeFor(key)).isEqualTo(was);
            }
        }
    }

    @Test
    void shouldBalanceKeysAcrossShards() {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(64, 128);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < KEYS * 4; i++) {
            counts.merge(ring.nodeFor("sha-" + i), 1, Integer::sum);
        }
        double mean = KEYS * 4 / 64.0;
        int peak = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertThat(counts).hasSize(64);
        assertThat(peak / mean).isLessThan(1.35);
    }

    @Test
    void shouldHonourNodeWeights() {
        ConsistentHashRing ring =
                ConsistentHashRing.weighted(Map.of("small", 1.0, "large", 3.0), 1024);
        int large = 0;
        for (int i = 0; i < KEYS; i++) {
            if (ring.nodeFor("image-" + i).equals("large")) {
                large++;
            }
        }
        assertThat(large / (double) KEYS).isBetween(0.72, 0.78);
    }

    @Test
    void shouldReturnNewRingsOnAddAndRemoveAndLeaveTheOriginalUnchanged() {
        ConsistentHashRing ring = ConsistentHashRing.of(List.of("a", "b"), 64);
        ConsistentHashRing grown = ring.withNode("c", 1.0);
        ConsistentHashRing shrunk = grown.withoutNode("a");
        assertThat(ring.nodes()).containsExactly("a", "b");
        assertThat(grown.nodes()).containsExactly("a", "b", "c");
        assertThat(shrunk.nodes()).containsExactly("b", "c");
        assertThat(ring.size()).isEqualTo(128);
        assertThat(grown.size()).isEqualTo(192);
        // Same nodes, same lookups, however the ring was reached.
        ConsistentHashRing direct = ConsistentHashRing.of(List.of("b", "c"), 64);
        for (int i = 0; i < 5000; i++) {
            assertThat(shrunk.nodeFor("k" + i)).isEqualTo(direct.nodeFor("k" + i));
        }
        assertThatThrownBy(() -> ring.withoutNode("zzz")).hasMessageContaining("no node 'zzz'");
    }

    @Test
    void shouldSerializeCompactlyAndLookUpIdenticallyAfterwards() throws Exception {
        ConsistentHashRing ring =
                ConsistentHashRing.ofShards(64, ConsistentHashRing.DEFAULT_VIRTUAL_NODES);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(ring);
        }
        // Only names, weights and the virtual-node count travel: not 500k ring points.
        assertThat(bytes.size()).isLessThan(8 * 1024);
        ConsistentHashRing copy;
        try (java.io.ObjectInputStream in =
                new java.io.ObjectInputStream(
                        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (ConsistentHashRing) in.readObject();
        }
        for (int i = 0; i < 10_000; i++) {
            assertThat(copy.nodeFor("x" + i)).isEqualTo(ring.nodeFor("x" + i));
        }
    }

    @Test
    void shouldKeepPeakOverMeanWithinFivePercentAtDefaultVirtualNodes() {
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            nodes.add("node-" + i);
        }
        ConsistentHashRing ring =
                ConsistentHashRing.of(nodes, ConsistentHashRing.DEFAULT_VIRTUAL_NODES);
        int[] counts = new int[64];
        int keys = 400_000;
        for (int i = 0; i < keys; i++) {
            counts[ring.nodeIndexFor("sha-" + i)]++;
        }
        int peak = java.util.Arrays.stream(counts).max().orElseThrow();
        assertThat(peak / (keys / 64.0)).isLessThan(1.06);
    }

    @Test
    void shouldRejectInvalidRings() {
        assertThatThrownBy(() -> ConsistentHashRing.of(List.of(), 8))
                .hasMessageContaining("at least one node");
        assertThatThrownBy(() -> ConsistentHashRing.of(List.of("a", "a"), 8))
                .hasMessageContaining("unique");
        assertThatThrownBy(() -> ConsistentHashRing.of(List.of("a"), 0))
                .hasMessageContaining("virtual nodes");
    }
}
