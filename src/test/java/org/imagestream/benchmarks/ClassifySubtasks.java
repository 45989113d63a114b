package org.imagestream.benchmarks;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.imagestream.config.JobConfig;
import org.imagestream.job.ImageClassificationJob;

/**
 * Which classify subtask served each shard, so a latency run can split its stored results by
 * subtask (the results' {@code shard} column): one subtask falling behind and the whole machine
 * falling behind look alike in the overall figures. A diagnostic, not a test oracle.
 */
final class ClassifySubtasks {
    private ClassifySubtasks() {}

    /** Per shard, its subtask in the job built on {@code env} (after the job's build). */
    static Map<String, Integer> ofJob(StreamExecutionEnvironment env, JobConfig config) {
        ImageClassificationJob.ClassifyRouting routing =
                ImageClassificationJob.classifyRouting(env, config);
        return of(routing.shardKeys(), env.getMaxParallelism(), routing.parallelism());
    }

    /** Per shard, the subtask Flink sends its key to at this parallelism. */
    static Map<String, Integer> of(
            Map<String, String> shardKeys, int maxParallelism, int parallelism) {
        Map<String, Integer> subtasks = new HashMap<>();
        shardKeys.forEach(
                (shard, key) ->
                        subtasks.put(
                                shard,
                                KeyGroupRangeAssignment.assignKeyToParallelOperator(
                                        key, maxParallelism, parallelism)));
        return subtasks;
    }
}
