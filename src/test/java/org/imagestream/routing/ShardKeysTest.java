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
        "300, 100, 128",
        "64, 64, 128"
    })
    void shouldSpreadShardsEvenlyOverSubtasks(int shardCount, int parallelism, int maxParallelism) {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(shardCount, 8);
        Map<String, String> keys = ShardKeys.assign(ring.nodes(), parallelism, maxParallelism);
        int[] shardsPerSubtask = new int[parallelism];
        for (String shard : ring.nodes()) {
            int subtask =
                    KeyGroupRangeAssignment.assignKeyToParallelOperator(
                            keys.get(shard), maxParallelism, parallelism);
            shardsPerSubtask[subtask]++;
        }
        int peak = java.util.Arrays.stream(shardsPerSubtask).max().orElseThrow();
        int low = java.util.Arrays.stream(shardsPerSubtask).min().orElseThrow();
        assertThat(peak - low)
                .as("shards per subtask differ by at most one")
                .isLessThanOrEqualTo(1);
    }

    @Test
    void shouldBeDeterministic() {
        ConsistentHashRing ring = ConsistentHashRing.ofShards(16, 8);
        assertThat(ShardKeys.assign(ring.nodes(), 3, 128))
                .isEqualTo(ShardKeys.assign(ring.nodes(), 3, 128));
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
