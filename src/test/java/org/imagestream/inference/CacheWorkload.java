package org.imagestream.inference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

/**
 * What the dedup cache's benchmark and soak drive it with: an operator harness whose keyed state
 * backend holds the cache (the operator itself does nothing), content hashes never seen before, and
 * a prediction to remember.
 */
final class CacheWorkload {
    private CacheWorkload() {}

    /**
     * A keyed harness (string keys) for the cache's state, checkpointing to files under {@code
     * checkpoints} as the job does (the default in-memory storage refuses over 5 MB); the caller
     * sets the state backend and opens it.
     */
    static KeyedOneInputStreamOperatorTestHarness<String, String, Object> harness(Path checkpoints)
            throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<String, String, Object>(
                        new KeyedProcessOperator<>(new Nothing()), key -> key, Types.STRING);
        harness.setCheckpointStorage(new FileSystemCheckpointStorage(checkpoints.toUri()));
        return harness;
    }

    /** A random 64-hex-digit content hash. */
    static String randomHash(Random random) {
        return String.format(
                "%016x%016x%016x%016x",
                random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong());
    }

    /** A prediction over {@code spec}'s labels with random scores. */
    static Prediction prediction(ModelSpec spec, Random random) {
        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < spec.labels().size(); i++) {
            scores.add(random.nextFloat());
        }
        return new Prediction(spec.labels(), scores);
    }

    private static final class Nothing extends KeyedProcessFunction<String, String, Object> {
        @Override
        public void processElement(String value, Context context, Collector<Object> out) {}
    }
}
