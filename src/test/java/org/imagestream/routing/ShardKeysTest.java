package org.imagestream.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShardKeysTest {
    @ParameterizedTest(name = "{0} shards at parallelism {1}, max parallelism {2}")
    @CsvSource({
        "64, 3, 128",
        "64, 2, 128",
        "128, 100, 128",
        "64, 7, 128",
        "100, 100, 128",
        "64, 64, 128"
    })
    void shouldSpreadShardsEvenlyOverSubtasks(int shardCount, int parallelism, int maxParallelism) {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(shardCount, 8);
        assertWithinOneOfTheMean(
                ring, ShardKeys.assign(ring.nodes(), maxParallelism), parallelism, maxParallelism);
    }

    /**
     * The job's defaults (64 shards, 128 key groups): one set of keys, computed without the
     * parallelism, spreads within one of S/P at every parallelism from 1 to 16, so a rescale keeps
     * every key (and the dedup state under it) and the balance.
     */
    @Test
    void shouldKeepEveryKeyAndTheBalanceAtEveryParallelism() {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(64, 8);
        Map<String, String> keys = ShardKeys.assign(ring.nodes(), 128);
        assertThat(keys.values()).doesNotHaveDuplicates().hasSize(64);
        for (int parallelism = 1; parallelism <= 16; parallelism++) {
            assertWithinOneOfTheMean(ring, keys, parallelism, 128);
        }
    }

    /** Every subtask serves S/P shards within one, by Flink's own key assignment. */
    private static void assertWithinOneOfTheMean(
            ConsistentHashRing ring,
            Map<String, String> keys,
            int parallelism,
            int maxParallelism) {
        int[] shardsPerSubtask = new int[parallelism];
        for (String shard : ring.nodes()) {
            int subtask =
                    KeyGroupRangeAssignment.assignKeyToParallelOperator(
                            keys.get(shard), maxParallelism, parallelism);
            shardsPerSubtask[subtask]++;
        }
        int shards = ring.nodes().size();
        assertThat(java.util.Arrays.stream(shardsPerSubtask).boxed().toList())
                .as("shards per subtask at parallelism %d", parallelism)
                .allSatisfy(
                        count ->
                                assertThat((double) count)
                                        .isBetween(
                                                (double) shards / parallelism - 1,
                                                (double) shards / parallelism + 1));
    }

    @Test
    void shouldBeDeterministic() {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(16, 8);
        assertThat(ShardKeys.assign(ring.nodes(), 128))
                .isEqualTo(ShardKeys.assign(ring.nodes(), 128));
    }

    @Test
    void shouldShowWhyPlainShardNamesAreUneven() {
        // Keyed by plain names, 128 shards at P=100 leave some subtasks with 3+ shards and others
        // with none; this is the imbalance ShardKeys removes.
        ConsistentHashRing ring = ConsistentHashRing.ofShards(128, 8);
        int[] plain = new int[100];
        for (String shard : ring.nodes()) {
            plain[KeyGroupRangeAssignment.assignKeyToParallelOperator(shard, 128, 100)]++;
        }
        assertThat(java.util.Arrays.stream(plain).max().orElseThrow()).isGreaterThanOrEqualTo(3);
    }
}
