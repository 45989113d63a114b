package org.imagestream.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imagestream.decode.PartSink;

/**
 * A scene's tiles classified a group at a time while the decoder reads them, so the scene is never
 * held whole (see {@code SceneTileStream}). Each group gets the attempts of one image alone; a
 * group that fails on every attempt stops the read, and the operator dead-letters the scene as
 * {@code MODEL_ERROR}.
 */
final class PartsAsRead implements PartSink {
    private final SavedModelClassifier classifier;
    private final int maxInputs;
    private final ClassifyMetrics metrics;
    private final List<Prediction> predictions = new ArrayList<>();
    private RuntimeException failure;

    PartsAsRead(SavedModelClassifier classifier, int maxInputs, ClassifyMetrics metrics) {
        this.classifier = classifier;
        this.maxInputs = maxInputs;
        this.metrics = metrics;
    }

    @Override
    public int maxInputs() {
        return maxInputs;
    }

    @Override
    public boolean accept(List<float[]> inputs) {
        long started = System.nanoTime();
        RuntimeException[] failed = new RuntimeException[1];
        List<Prediction> group =
                ModelCalls.classify(classifier, inputs, ModelCalls.IMAGE_ATTEMPTS, failed);
        if (group == null) {
            failure = failed[0];
            return false;
        }
        metrics.modelCall(
                inputs.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        predictions.addAll(group);
        return true;
    }

    /** The parts' predictions in part order, once every group was accepted. */
    List<Prediction> predictions() {
        return predictions;
    }

    /** Why the model failed on a group, or null. */
    RuntimeException failure() {
        return failure;
    }
}
