package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EndToEndBenchmarkTest {
    @Test
    void shouldPlaceTheFirstHalfOfTheShardsOnTheFirstOfTwoSubtasks() {
        // 8 shards over 128 key groups sit at key groups 8, 24, ..., 120 (floor((2i + 1) * 128 /
        // 16)); Flink gives subtask 0 of 2 key groups 0-63 and subtask 1 key groups 64-127.
        Map<String, Integer> subtasks = EndToEndBenchmark.subtaskOfShard(8, 16, 128, 2);

        assertThat(subtasks)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "shard-000",
                                0,
                                "shard-001",
                                0,
                                "shard-002",
                                0,
                                "shard-003",
                                0,
                                "shard-004",
                                1,
                                "shard-005",
                                1,
                                "shard-006",
                                1,
                                "shard-007",
                                1));
    }

    @Test
    void shouldSpreadShardsOverFourSubtasksInKeyGroupOrder() {
        // Four subtasks of 128 key groups: 0-31, 32-63, 64-95, 96-127.
        Map<String, Integer> subtasks = EndToEndBenchmark.subtaskOfShard(8, 16, 128, 4);

        assertThat(subtasks)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "shard-000",
                                0,
                                "shard-001",
                                0,
                                "shard-002",
                                1,
                                "shard-003",
                                1,
                                "shard-004",
                                2,
                                "shard-005",
                                2,
                                "shard-006",
                                3,
                                "shard-007",
                                3));
    }
}
