package org.imagestream.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Chooses the Flink key of every shard so that shards spread evenly over the subtasks at any
 * parallelism.
 *
 * <p>Flink sends a key to key group {@code murmur(key.hashCode()) % maxParallelism} and gives each
 * subtask a contiguous range of key groups. Keyed by shard name, S shards land on P subtasks as the
 * hash falls: some subtasks get several shards, some none. Here shard {@code i} is assigned to
 * subtask {@code i mod P}, to a key group inside that subtask's range (spread round-robin over the
 * range), and its key is the shard name with the smallest salt ({@code shard-007~12}) that hashes
 * into that key group. Peak/mean shards per subtask is then {@code ceil(S/P) / (S/P)}.
 *
 * <p>The mapping depends on P, so after rescaling from a savepoint some shards get a new key. The
 * only keyed state is the dedup cache, so this costs cache misses (images classified again), never
 * correctness; entries under abandoned keys expire with their TTL.
 */
public final class ShardKeys {
    private ShardKeys() {}

    /** Routing key per shard name for the given parallelism and max parallelism. */
    public static Map<String, String> assign(
            List<String> shards, int parallelism, int maxParallelism) {
        if (parallelism < 1 || maxParallelism < parallelism) {
            throw new IllegalArgumentException(
                    "need 1 <= parallelism <= max parallelism, got "
                            + parallelism
                            + " and "
                            + maxParallelism);
        }
        Map<String, String> keys = new HashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            int subtask = i % parallelism;
            KeyGroupRange range =
                    KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                            maxParallelism, parallelism, subtask);
            int rangeSize = range.getEndKeyGroup() - range.getStartKeyGroup() + 1;
            int keyGroup = range.getStartKeyGroup() + (i / parallelism) % rangeSize;
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
