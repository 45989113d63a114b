package org.imagestream.decode;

import java.io.Serializable;

/**
 * The tensor geometry a domain's model expects (height x width x channels). The job derives it from
 * the model spec so the decode stage never depends on the inference stage.
 */
public record ModelInput(int height, int width, int channels) implements Serializable {
    public ModelInput {
        if (height <= 0 || width <= 0 || channels <= 0) {
            throw new IllegalArgumentException(
                    "model input must be positive, got " + height + "x" + width + "x" + channels);
        }
    }
}
