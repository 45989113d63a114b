package org.imagestream.localstack;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real Kafka + Cassandra for the whole test run: started by the first test class that needs it,
 * stored in the root context, stopped when the run ends (and by the servers' watchdogs if the test
 * JVM dies). Tests get it as a {@link LocalStack} parameter and create their own topics and
 * keyspaces.
 */
public final class LocalStackExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(LocalStackExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        stack(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return stack(context);
    }

    private static LocalStack stack(ExtensionContext context) {
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent("stack", key -> new Resource(), Resource.class)
                .stack;
    }

    /** Closed by JUnit when the root context closes, i.e. at the end of the test run. */
    private static final class Resource implements ExtensionContext.Store.CloseableResource {
        final LocalStack stack;

        Resource() {
            Path work =
                    Path.of(
                            System.getProperty("imagestream.work.dir", "target/it-work"),
                            "localstack");
            try {
                stack = LocalStack.builder().workDirectory(work).start();
            } catch (Exception e) {
                throw new IllegalStateException(
                        "Cannot start the local Kafka + Cassandra stack", e);
            }
        }

        @Override
        public void close() {
            stack.close();
        }
    }
}
