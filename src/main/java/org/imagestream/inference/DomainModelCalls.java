package org.imagestream.inference;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classify stage's model calls, at most one per domain at a time. With a thread per domain a
 * batch runs off the task thread, so the task thread keeps decoding and batching meanwhile and one
 * domain's images never wait for another domain's model call: on the task thread alone, a small
 * medical or remote-sensing image waited behind every 224x224 social batch and JPEG decode
 * (docs/benchmarks.md, session 25). Without threads a call runs inline, as before.
 *
 * <p>Only the model runs on a domain thread. The caller builds the inputs before the call and
 * handles the outcomes after it, on the task thread, because output, keyed state and metrics belong
 * to it; {@code onDone} tells it (through Flink's mailbox) that a domain's call finished. Plain
 * Java, single caller: every method but the calls themselves runs on the task thread.
 */
final class DomainModelCalls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DomainModelCalls.class);

    /** How long {@link #close} waits for a running call before it gives the model up. */
    private static final long CLOSE_WAIT_SECONDS = 30;

    /** A batch handed to its model: the images, and the outcomes once the call returns. */
    static final class Call {
        final Domain domain;
        final List<MicroBatches.Pending> batch;
        final SavedModelClassifier classifier;
        final CompletableFuture<List<ModelCalls.Outcome>> outcomes = new CompletableFuture<>();

        /** How long the model took, set by the thread that ran it before the outcomes. */
        volatile long callNanos;

        Call(Domain domain, List<MicroBatches.Pending> batch, SavedModelClassifier classifier) {
            this.domain = domain;
            this.batch = batch;
            this.classifier = classifier;
        }

        /** Per image, its outcome; waits for the call. Rethrows what escaped the model call. */
        List<ModelCalls.Outcome> awaitOutcomes() throws Exception {
            try {
                return outcomes.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : new RuntimeException(e);
            }
        }
    }

    private final EnumMap<Domain, ExecutorService> threads = new EnumMap<>(Domain.class);
    private final EnumMap<Domain, Call> inFlight = new EnumMap<>(Domain.class);
    private final Consumer<Domain> onDone;

    /**
     * @param domains the domains that get a thread each; empty: every call runs inline
     * @param threadName names a domain's thread (for thread dumps and profiles)
     * @param onDone called on the domain's thread when its call finished (not when inline)
     */
    DomainModelCalls(
            Set<Domain> domains, Function<Domain, String> threadName, Consumer<Domain> onDone) {
        this.onDone = onDone;
        for (Domain domain : domains) {
            threads.put(
                    domain,
                    Executors.newSingleThreadExecutor(
                            runnable -> {
                                Thread thread = new Thread(runnable, threadName.apply(domain));
                                thread.setDaemon(true);
                                return thread;
                            }));
        }
    }

    /** Whether the domain's model is running (or has run) a call not yet taken. */
    boolean busy(Domain domain) {
        return inFlight.containsKey(domain);
    }

    /** Calls started and not yet taken, over all domains. */
    int inFlightCount() {
        return inFlight.size();
    }

    /**
     * Starts the domain's model on {@code inputs} (one per image, parts back to back); the domain
     * must not be {@link #busy}. Inline when the domain has no thread: done on return.
     */
    Call start(
            Domain domain,
            List<MicroBatches.Pending> batch,
            SavedModelClassifier classifier,
            List<float[]> inputs,
            int[] parts) {
        if (inFlight.containsKey(domain)) {
            throw new IllegalStateException("a " + domain.id() + " call is still in flight");
        }
        Call call = new Call(domain, batch, classifier);
        inFlight.put(domain, call);
        ExecutorService thread = threads.get(domain);
        if (thread == null) {
            run(call, inputs, parts);
        } else {
            thread.execute(
                    () -> {
                        run(call, inputs, parts);
                        onDone.accept(domain);
                    });
        }
        return call;
    }

    private static void run(Call call, List<float[]> inputs, int[] parts) {
        long started = System.nanoTime();
        try {
            List<ModelCalls.Outcome> outcomes =
                    ModelCalls.classifyBatch(
                            call.classifier, inputs, parts, call.domain.id() + " images");
            call.callNanos = System.nanoTime() - started;
            call.outcomes.complete(outcomes);
        } catch (Throwable e) {
            // An Error from the native model fails the task when the outcomes are taken.
            call.outcomes.completeExceptionally(e);
        }
    }

    /** The domain's call if it has finished (removed), else null. */
    Call takeIfDone(Domain domain) {
        Call call = inFlight.get(domain);
        if (call == null || !call.outcomes.isDone()) {
            return null;
        }
        return inFlight.remove(domain);
    }

    /** The domain's call once it has finished (removed; waits for it), or null when none. */
    Call await(Domain domain) throws Exception {
        Call call = inFlight.get(domain);
        if (call == null) {
            return null;
        }
        call.awaitOutcomes();
        return inFlight.remove(domain);
    }

    /**
     * A copy of an image whose call is in flight joins it (answered with its original's
     * prediction); false when no such image is in the domain's call.
     */
    boolean joinInFlight(Domain domain, DecodedImage copy) {
        Call call = inFlight.get(domain);
        return call != null && MicroBatches.joinOriginal(call.batch, copy);
    }

    /**
     * Stops the threads and waits for a running call, so no model is closed under one.
     *
     * @throws IllegalStateException when a call still runs: the caller must not close the models
     */
    @Override
    public void close() {
        List<ExecutorService> running = new ArrayList<>(threads.values());
        running.forEach(ExecutorService::shutdownNow);
        for (ExecutorService thread : running) {
            try {
                if (!thread.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(
                            "a model call still runs after " + CLOSE_WAIT_SECONDS + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for a model call", e);
            }
        }
        inFlight.clear();
        LOG.debug("Model call threads stopped");
    }
}
