package org.imagestream.training;

import java.io.IOException;
import java.nio.file.Path;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.types.TFloat32;

/**
 * Writes a session's graph as a SavedModel with the signature the classifier expects: {@code
 * serving_default}, input {@code image}, output {@code probabilities}.
 */
public final class SavedModels {
    private SavedModels() {}

    public static void export(
            Path directory,
            Session session,
            Operand<TFloat32> image,
            Operand<TFloat32> probabilities)
            throws IOException {
        Signature signature =
                Signature.builder()
                        .key(Signature.DEFAULT_KEY)
                        .methodName("tensorflow/serving/predict")
                        .input("image", image)
                        .output("probabilities", probabilities)
                        .build();
        SavedModelBundle.exporter(directory.toString())
                .withTags(SavedModelBundle.DEFAULT_TAG)
                .withSession(session)
                .withFunction(SessionFunction.create(signature, session))
                .export();
    }
}
