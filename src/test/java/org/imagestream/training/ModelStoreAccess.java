package org.imagestream.training;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;

/** Test access to the seed models: trained once into {@code target/models} and reused. */
public final class ModelStoreAccess {
    private ModelStoreAccess() {}

    public static synchronized Map<Domain, ModelSpec> seedModels() throws IOException {
        return ModelStore.ensureSeedModels(
                Path.of(System.getProperty("imagestream.models.dir", "target/models"))
                        .toAbsolutePath());
    }
}
