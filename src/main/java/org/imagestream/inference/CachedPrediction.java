package org.imagestream.inference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.imagestream.model.DecodedImage;

/**
 * What the dedup cache remembers per content hash: the prediction and the model that made it, so a
 * cached prediction is only reused for the same model version; for an image classified in parts,
 * also every part's prediction. A Flink POJO (state type).
 */
public class CachedPrediction {
    public String modelName;
    public String modelVersion;
    public List<String> labels = new ArrayList<>();
    public List<Float> scores = new ArrayList<>();

    /** Per part, its labels and scores; empty for an image classified whole. */
    public List<List<String>> partLabels = new ArrayList<>();

    public List<List<Float>> partScores = new ArrayList<>();

    /**
     * What decoding told about the image, so a copy is answered without decoding it: original size,
     * extras (georeferencing, modality...) and per part extras. {@code described} is false for
     * entries written before the cache kept it (a copy is then decoded).
     */
    public boolean described;

    /** The model input the image was decoded for (a fingerprint of its decode settings). */
    public String decodedFor;

    public int originalWidth;
    public int originalHeight;
    public Map<String, String> extras = new HashMap<>();
    public List<Map<String, String>> partExtras = new ArrayList<>();

    public CachedPrediction() {}

    static CachedPrediction of(
            ModelSpec spec, Prediction prediction, List<Prediction> parts, DecodedImage image) {
        CachedPrediction cached = of(spec, prediction, parts);
        cached.described = true;
        cached.decodedFor = spec.inputFingerprint();
        cached.originalWidth = image.originalWidth;
        cached.originalHeight = image.originalHeight;
        cached.extras = new HashMap<>(image.extras);
        cached.partExtras = new ArrayList<>(image.partExtras);
        return cached;
    }

    /**
     * Whether this entry answers for {@code image} under the model now serving: made by that model
     * version and, for an image not decoded yet, describing it as {@code spec} decodes it now (an
     * image decoded upstream must have as many parts as the entry).
     */
    boolean answers(DecodedImage image, ModelSpec spec) {
        if (!madeBy(spec)) {
            return false;
        }
        return image.pixels != null
                ? partLabels.size() == (image.parts > 1 ? image.parts : 0)
                : describesImage(spec);
    }

    /**
     * Whether this entry describes the image as {@code spec} decodes it now: a restart with other
     * decode settings (frame choice, tiling, bands) under the same model version must decode again.
     */
    boolean describesImage(ModelSpec spec) {
        return described && spec.inputFingerprint().equals(decodedFor);
    }

    /** Fills an undecoded copy with what decoding told about the cached image. */
    void describe(DecodedImage image) {
        image.originalWidth = originalWidth;
        image.originalHeight = originalHeight;
        image.parts = Math.max(1, partLabels.size());
        image.extras = new HashMap<>(extras);
        image.partExtras = new ArrayList<>(partExtras);
    }

    static CachedPrediction of(ModelSpec spec, Prediction prediction, List<Prediction> parts) {
        CachedPrediction cached = new CachedPrediction();
        cached.modelName = spec.name();
        cached.modelVersion = spec.version();
        cached.labels = new ArrayList<>(prediction.labels());
        cached.scores = new ArrayList<>(prediction.scores());
        for (Prediction part : parts) {
            cached.partLabels.add(new ArrayList<>(part.labels()));
            cached.partScores.add(new ArrayList<>(part.scores()));
        }
        return cached;
    }

    boolean madeBy(ModelSpec spec) {
        return spec.name().equals(modelName) && spec.version().equals(modelVersion);
    }

    Prediction toPrediction() {
        return new Prediction(labels, scores);
    }

    List<Prediction> toPartPredictions() {
        List<Prediction> parts = new ArrayList<>(partLabels.size());
        for (int i = 0; i < partLabels.size(); i++) {
            parts.add(new Prediction(partLabels.get(i), partScores.get(i)));
        }
        return parts;
    }
}
