package org.imagestream.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The prediction for one part of an image classified in parts: a tile of a remote-sensing scene
 * (extras: pixel window {@code x, y, width, height} and map {@code bounds}) or a frame of a
 * multi-frame DICOM file (extras: {@code frame}). Stored one row per part.
 */
public class PartResult {
    /** 0-based, in the order the decoder cut the image (tiles row by row, frames in order). */
    public int index;

    public List<String> labels = new ArrayList<>();
    public List<Float> scores = new ArrayList<>();
    public Map<String, String> extras = new HashMap<>();

    public PartResult() {}

    public PartResult(
            int index, List<String> labels, List<Float> scores, Map<String, String> extras) {
        this.index = index;
        this.labels = new ArrayList<>(labels);
        this.scores = new ArrayList<>(scores);
        this.extras = new HashMap<>(extras);
    }
}
