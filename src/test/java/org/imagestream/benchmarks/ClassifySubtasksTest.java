package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imagestream.routing.ShardKeys;
import org.junit.jupiter.api.Test;

class ClassifySubtasksTest {
    private static final List<String> EIGHT_SHARDS =
            List.of(
                    "shard-000",
                    "shard-001",
                    "shard-002",
                    "shard-003",
                    "shard-004",
                    "shard-005",
                    "shard-006",
                    "shard-007");

    // 8 shards over 128 key groups sit at key groups floor((2i + 1) * 128 / 16): 8, 24, 40, 56,
    // 72, 88, 104, 120. Flink gives subtask i of P the key groups from ceil(i * 128 / P) on.

    @Test
    void shouldPlaceTheFirstHalfOfTheShardsOnTheFirstOfTwoSubtasks() {
        // Key groups 0-63 and 64-127.
        assertThat(subtasksOf(EIGHT_SHARDS, 2)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1);
    }

    @Test
    void shouldFollowTheKeyGroupRangesWhenTheyDoNotDivideEvenly() {
        // Three subtasks: key groups 0-42, 43-85, 86-127, so 88 (shard-005) is on the third, where
        // an even split of the shards (5 * 3 / 8 = 1) would put it on the second.
        assertThat(subtasksOf(EIGHT_SHARDS, 3)).containsExactly(0, 0, 0, 1, 1, 2, 2, 2);
    }

    @Test
    void shouldSplitTheJobsDefaultShardsInHalves() {
        // The job's default 64 shards sit at key groups 2i + 1: the first 32 below 64.
        List<String> shards = new ArrayList<>();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            shards.add(String.format("shard-%03d", i));
            expected.add(i < 32 ? 0 : 1);
        }

        assertThat(subtasksOf(shards, 2)).containsExactlyElementsOf(expected);
    }

    /** The subtask of each shard, in the order given. */
    private static List<Integer> subtasksOf(List<String> shards, int parallelism) {
        Map<String, Integer> subtasks =
                ClassifySubtasks.of(ShardKeys.assign(shards, 128), 128, parallelism);
        assertThat(subtasks).hasSize(shards.size());
        return shards.stream().map(subtasks::get).toList();
    }
}
