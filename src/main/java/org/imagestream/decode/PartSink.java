package org.imagestream.decode;

import java.util.List;

/**
 * Takes the model inputs of an image classified in parts a group at a time, while the image is
 * being read: a scene of many tiles is then classified with the memory of one group, never all its
 * tiles at once. The classify operator passes one to {@link ImageDecoder#decodeInto(
 * org.imagestream.model.DecodedImage, PartSink)}.
 */
public interface PartSink {
    /** The most inputs one call should carry (the model's batch size). */
    int maxInputs();

    /**
     * The next inputs in part order (each height x width x channels, normalised).
     *
     * @return false to stop reading: the image failed (the sink knows why)
     */
    boolean accept(List<float[]> inputs);

    /**
     * What a sink threw, carried through the decoder untouched: a fault of the classify stage, not
     * of the image, so never a CORRUPT dead letter (the task fails and the record is replayed).
     */
    final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Failure(RuntimeException cause) {
            super("the part sink failed: " + cause, cause);
        }
    }
}
