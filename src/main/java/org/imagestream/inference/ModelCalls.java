package org.imagestream.inference;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model calls that survive a failing model: a batch is retried, then each image of it is classified
 * alone (a poison image must not take its batch with it, and a transient failure must not turn into
 * dead letters that a replay would not produce); only an image that fails alone on every attempt
 * gets an error, which the operator dead-letters as {@code MODEL_ERROR}.
 */
final class ModelCalls {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCalls.class);

    /** Attempts at a whole batch before its images are classified one by one. */
    static final int BATCH_ATTEMPTS = 2;

    /** Attempts at one image alone before it is dead-lettered as {@code MODEL_ERROR}. */
    static final int IMAGE_ATTEMPTS = 3;

    private ModelCalls() {}

    /** One image's outcome: its predictions (one, or one per part), or the model's error. */
    record Outcome(List<Prediction> predictions, RuntimeException error) {}

    /**
     * @param inputs per image, its model input (parts back to back)
     * @param parts per image, its model inputs
     * @param what the batch, for the log
     */
    static List<Outcome> classifyBatch(
            SavedModelClassifier classifier, List<float[]> inputs, int[] parts, String what) {
        List<Outcome> outcomes = new ArrayList<>(inputs.size());
        RuntimeException[] failure = new RuntimeException[1];
        List<Prediction> predictions = classify(classifier, inputs, BATCH_ATTEMPTS, failure);
        if (predictions != null) {
            int row = 0;
            for (int count : parts) {
                outcomes.add(new Outcome(predictions.subList(row, row + count), null));
                row += count;
            }
            return outcomes;
        }
        LOG.warn(
                "A batch of {} {} failed {} times ({}); classifying each alone",
                inputs.size(),
                what,
                BATCH_ATTEMPTS,
                failure[0].toString());
        for (float[] input : inputs) {
            List<Prediction> alone = classify(classifier, List.of(input), IMAGE_ATTEMPTS, failure);
            outcomes.add(alone == null ? new Outcome(null, failure[0]) : new Outcome(alone, null));
        }
        return outcomes;
    }

    /**
     * The model's predictions, or null after {@code attempts} failures, the last in {@code
     * failure[0]}.
     */
    static List<Prediction> classify(
            SavedModelClassifier classifier,
            List<float[]> inputs,
            int attempts,
            RuntimeException[] failure) {
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return classifier.classify(inputs);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }
        return null;
    }
}
