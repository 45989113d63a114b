package org.imagestream.inference;

import java.util.ArrayList;
import java.util.List;

/**
 * What the dedup cache remembers per content hash: the prediction and the model that made it, so a
 * cached prediction is only reused for the same model version. A Flink POJO (state type).
 */
public class CachedPrediction {
    public String modelName;
    public String modelVersion;
    public List<String> labels = new ArrayList<>();
    public List<Float> scores = new ArrayList<>();

    public CachedPrediction() {}

    static CachedPrediction of(ModelSpec spec, Prediction prediction) {
        CachedPrediction cached = new CachedPrediction();
        cached.modelName = spec.name();
        cached.modelVersion = spec.version();
        cached.labels = new ArrayList<>(prediction.labels());
        cached.scores = new ArrayList<>(prediction.scores());
        return cached;
    }

    boolean madeBy(ModelSpec spec) {
        return spec.name().equals(modelName) && spec.version().equals(modelVersion);
    }

    Prediction toPrediction() {
        return new Prediction(labels, scores);
    }
}
