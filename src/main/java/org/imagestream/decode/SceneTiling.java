package org.imagestream.decode;

/** How a remote-sensing scene larger than the model input becomes model inputs. */
public enum SceneTiling {
    /**
     * Cut into model-sized tiles at full resolution, each classified on its own; the result
     * aggregates them (per-label share of tiles) and keeps every tile with its bounds. A scene
     * smaller than the model input in either dimension, or exactly its size, is one input,
     * resampled.
     */
    TILE,
    /** Resampled (area average) to the model input as a whole: one input per scene. */
    RESIZE
}
