package org.imagestream.decode;

import java.util.List;
import java.util.Map;

/**
 * What a decoder returns: the model tensor, the original image's geometry, and domain extras that
 * travel into the result row (GeoTIFF georeferencing; DICOM modality, body part, frames). Extras
 * never hold patient-identifying values.
 *
 * <p>An image classified in parts (the tiles of a scene, every frame of a DICOM file) carries
 * {@code parts} model inputs back to back in {@code pixels}, and for each part its own extras (tile
 * window and bounds, frame number).
 */
public record DecodedPixels(
        float[] pixels,
        int originalWidth,
        int originalHeight,
        Map<String, String> extras,
        int parts,
        List<Map<String, String>> partExtras) {
    public DecodedPixels {
        extras = Map.copyOf(extras);
        partExtras = List.copyOf(partExtras);
        if (parts < 1 || (parts > 1 && partExtras.size() != parts)) {
            throw new IllegalArgumentException(
                    parts + " parts with " + partExtras.size() + " part extras");
        }
    }

    public DecodedPixels(
            float[] pixels, int originalWidth, int originalHeight, Map<String, String> extras) {
        this(pixels, originalWidth, originalHeight, extras, 1, List.of());
    }

    public DecodedPixels(float[] pixels, int originalWidth, int originalHeight) {
        this(pixels, originalWidth, originalHeight, Map.of());
    }
}
