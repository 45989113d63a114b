package org.imagestream.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Chooses the Flink key of every shard from the shard alone, so keys never change when the job is
 * rescaled, and shards still spread evenly over the subtasks at any parallelism.
 *
 * <p>Flink sends a key to key group {@code murmur(key.hashCode()) % maxParallelism} and gives each
 * subtask a contiguous range of key groups. Keyed by shard name, S shards land on P subtasks as the
 * hash falls: some subtasks get several shards, some none. Here shard {@code i} of S is placed at
 * key group {@code floor((2i + 1) * maxParallelism / (2S))}, evenly spaced over all key groups, and
 * its key is the shard name with the smallest salt ({@code shard-007~12}) that hashes into that key
 * group. Any contiguous range of key groups then holds its share of shards within one, so at every
 * parallelism each subtask serves S/P shards within one (for S up to the max parallelism; beyond it
 * several shards share a key group).
 *
 * <p>The keys depend on S and the max parallelism only, both fixed for the life of the job's state.
 * On a rescale from a savepoint every shard keeps its key and key group, and Flink moves keyed
 * state with its key groups: every dedup entry stays reachable.
 */
public final class ShardKeys {
    private ShardKeys() {}

    /** Routing key per shard name, for this max parallelism (the job's number of key groups). */
    public static Map<String, String> assign(List<String> shards, int maxParallelism) {
        if (maxParallelism < 1 || shards.isEmpty()) {
            throw new IllegalArgumentException(
                    "need shards and max parallelism >= 1, got "
                            + shards.size()
                            + " shards and "
                            + maxParallelism);
        }
        Map<String, String> keys = new HashMap<>();
        long count = shards.size();
        for (int i = 0; i < shards.size(); i++) {
            int keyGroup = (int) ((2L * i + 1) * maxParallelism / (2 * count));
            keys.put(shards.get(i), keyFor(shards.get(i), keyGroup, maxParallelism));
        }
        return keys;
    }

    static String keyFor(String shard, int keyGroup, int maxParallelism) {
        if (KeyGroupRangeAssignment.assignToKeyGroup(shard, maxParallelism) == keyGroup) {
            return shard;
        }
        // Each salt hits the key group with probability 1/maxParallelism: a few hundred tries.
        for (int salt = 0; salt < 1_000_000; salt++) {
            String candidate = shard + "~" + salt;
            if (KeyGroupRangeAssignment.assignToKeyGroup(candidate, maxParallelism) == keyGroup) {
                return candidate;
            }
        }
        throw new IllegalStateException("no key for " + shard + " in key group " + keyGroup);
    }
}
