package org.imagestream.inference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Top-k labels and their scores for one image, best first. */
public record Prediction(List<String> labels, List<Float> scores) {
    public Prediction {
        labels = List.copyOf(labels);
        scores = List.copyOf(scores);
    }

    /**
     * The aggregate of an image classified in parts: every label that is the top label of at least
     * one part, with its share of the parts, largest share first (ties in the model's label order).
     * For a scene: the fraction of its tiles showing each class.
     */
    static Prediction shareOfTopLabels(List<Prediction> parts, List<String> modelLabels) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Prediction part : parts) {
            counts.merge(part.labels().get(0), 1, Integer::sum);
        }
        List<String> labels = new ArrayList<>(counts.keySet());
        labels.sort(
                Comparator.comparing((String label) -> -counts.get(label))
                        .thenComparing(modelLabels::indexOf));
        List<Float> shares = new ArrayList<>(labels.size());
        for (String label : labels) {
            shares.add(counts.get(label) / (float) parts.size());
        }
        return new Prediction(labels, shares);
    }
}
