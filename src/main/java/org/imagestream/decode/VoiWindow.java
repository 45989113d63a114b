package org.imagestream.decode;

/**
 * A VOI window (DICOM PS3.3 C.11.2.1.2.1, the linear function): modality values (e.g. HU) in {@code
 * [center - width/2, center + width/2]} mapped onto [0, 1], clamped outside.
 */
final class VoiWindow {
    private final double lower;
    private final double span;

    VoiWindow(double center, double width) {
        this.lower = center - 0.5 - (width - 1) / 2;
        this.span = Math.max(1e-6, width - 1);
    }

    /** The rendered value of one modality value, in [0, 1]. */
    float apply(double modalityValue) {
        double v = (modalityValue - lower) / span;
        return (float) Math.max(0, Math.min(1, v));
    }
}
