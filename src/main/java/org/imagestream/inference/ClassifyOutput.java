package org.imagestream.inference;

import java.util.List;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;

/**
 * What the classify stage emits: an image's result row and its copies', or its dead letter; a
 * classified image's prediction is remembered for dedup under the current key (the caller sets the
 * image's key first). Runs on the task thread, which owns the output and keyed state.
 */
final class ClassifyOutput {
    private final Output<StreamRecord<Classification>> output;
    private final OutputTag<DeadLetter> deadLetters;
    private final DedupCache recentPredictions;
    private final ClassifyMetrics metrics;
    private final long restoredAtMillis;

    /**
     * @param recentPredictions null when dedup is off
     * @param restoredAtMillis when the subtask was restored (0: started fresh); older records may
     *     be replays
     */
    ClassifyOutput(
            Output<StreamRecord<Classification>> output,
            OutputTag<DeadLetter> deadLetters,
            DedupCache recentPredictions,
            ClassifyMetrics metrics,
            long restoredAtMillis) {
        this.output = output;
        this.deadLetters = deadLetters;
        this.recentPredictions = recentPredictions;
        this.metrics = metrics;
        this.restoredAtMillis = restoredAtMillis;
    }

    /**
     * Emits a classified image's result and its waiting copies', and remembers the prediction.
     *
     * @param predictions one per model input: one, or one per part
     */
    void complete(
            DecodedImage image,
            List<DecodedImage> copies,
            ModelSpec spec,
            List<Prediction> predictions) {
        List<Prediction> parts = List.of();
        Prediction prediction;
        if (image.parts > 1) {
            parts = predictions;
            prediction = Prediction.shareOfTopLabels(parts, spec.labels());
        } else {
            prediction = predictions.get(0);
        }
        if (recentPredictions != null) {
            recentPredictions.remember(image, spec, prediction, parts);
        }
        emit(image, spec, prediction, parts, false);
        for (DecodedImage copy : copies) {
            if (copy.pixels == null) {
                describeAs(copy, image);
            }
            emit(copy, spec, prediction, parts, true);
        }
    }

    /** Emits a copy answered from the dedup cache (never decoded: the cache describes it). */
    void reused(DecodedImage copy, ModelSpec spec, CachedPrediction cached) {
        if (copy.pixels == null) {
            cached.describe(copy);
        }
        emit(copy, spec, cached.toPrediction(), cached.toPartPredictions(), true);
    }

    /** Dead-letters an image (and its copies) the model failed on alone. */
    void modelError(DecodedImage image, List<DecodedImage> copies, RuntimeException error) {
        modelError(image, error);
        copies.forEach(copy -> modelError(copy, error));
    }

    void modelError(DecodedImage image, RuntimeException error) {
        metrics.modelError();
        deadLetter(
                DeadLetter.of(
                        image.record,
                        "classify",
                        "MODEL_ERROR",
                        String.valueOf(error.getMessage())));
    }

    void deadLetter(DeadLetter deadLetter) {
        output.collect(deadLetters, new StreamRecord<>(deadLetter));
    }

    /** What decoding told about an image, copied to an undecoded copy of the same bytes. */
    private static void describeAs(DecodedImage copy, DecodedImage original) {
        copy.originalWidth = original.originalWidth;
        copy.originalHeight = original.originalHeight;
        copy.parts = original.parts;
        copy.extras = original.extras;
        copy.partExtras = original.partExtras;
    }

    private void emit(
            DecodedImage image,
            ModelSpec spec,
            Prediction prediction,
            List<Prediction> parts,
            boolean reused) {
        Classification result = ResultRows.of(image, spec, prediction, parts);
        result.deduplicated = reused;
        result.mayBeReplay =
                restoredAtMillis > 0 && image.record.kafkaTimestamp <= restoredAtMillis;
        output.collect(new StreamRecord<>(result));
        metrics.resultEmitted(result.domain, result.topLabel(), reused);
    }
}
