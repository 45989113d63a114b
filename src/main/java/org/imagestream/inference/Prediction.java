package org.imagestream.inference;

import java.util.List;

/** Top-k labels and their scores for one image, best first. */
public record Prediction(List<String> labels, List<Float> scores) {
    public Prediction {
        labels = List.copyOf(labels);
        scores = List.copyOf(scores);
    }
}
