package org.imagestream.decode;

/** Which frame of a multi-frame DICOM becomes the model input. */
public enum DicomFrame {
    /** Frame 1: cheapest, and the only one of single-frame files. */
    FIRST,
    /** Frame n/2 + 1 of n (1-based): the centre of a volume or a cine loop. */
    MIDDLE,
    /**
     * Every frame is classified (up to {@code limits.max-parts}); the result aggregates them and
     * keeps one part per frame.
     */
    ALL
}
