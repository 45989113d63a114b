package org.imagestream.decode;

import java.util.Map;

/**
 * What a decoder returns: the model tensor, the original image's geometry, and domain extras that
 * travel into the result row (GeoTIFF georeferencing; DICOM modality, body part, frames). Extras
 * never hold patient-identifying values.
 */
public record DecodedPixels(
        float[] pixels, int originalWidth, int originalHeight, Map<String, String> extras) {
    public DecodedPixels {
        extras = Map.copyOf(extras);
    }

    public DecodedPixels(float[] pixels, int originalWidth, int originalHeight) {
        this(pixels, originalWidth, originalHeight, Map.of());
    }
}
