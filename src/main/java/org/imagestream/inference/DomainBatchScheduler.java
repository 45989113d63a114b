package org.imagestream.inference;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.imagestream.inference.DomainModelCalls.Call;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;

/**
 * When each domain's micro-batch ({@link MicroBatches}) goes to its model ({@link
 * DomainModelCalls}), and when a finished call is taken. A full batch starts at once, after its
 * domain's call in flight (the back-pressure that bounds what is buffered); a batch the timer finds
 * due while its domain's model is busy starts as soon as that call is taken; {@link #finishAll}
 * (barrier, end of input) and {@link #finish} (model swap) classify and take everything, domains
 * side by side. Plain Java on the task thread: the operator owns the timer and the mailbox and
 * hands finished calls to {@code taker}.
 */
final class DomainBatchScheduler implements AutoCloseable {
    /** Emits a finished call's results (on the task thread). */
    interface Taker {
        void take(Call call) throws Exception;
    }

    private final MicroBatches batches;
    private final DomainModelCalls calls;
    private final Function<Domain, SavedModelClassifier> models;
    private final ClassifyMetrics metrics;
    private final Taker taker;

    /** Domains whose pending batch starts as soon as their call in flight is taken. */
    private final EnumSet<Domain> startWhenDone = EnumSet.noneOf(Domain.class);

    /**
     * @param threaded the domains whose calls run on a thread of their own (others run inline)
     * @param threadName names a domain's thread
     * @param callDone called on a domain's thread when its call finished: the operator posts {@link
     *     #onCallDone} to the task thread
     * @param models the model serving a domain now
     */
    DomainBatchScheduler(
            MicroBatches batches,
            Set<Domain> threaded,
            Function<Domain, String> threadName,
            Consumer<Domain> callDone,
            Function<Domain, SavedModelClassifier> models,
            ClassifyMetrics metrics,
            Taker taker) {
        this.batches = batches;
        this.calls = new DomainModelCalls(threaded, threadName, callDone);
        this.models = models;
        this.metrics = metrics;
        this.taker = taker;
    }

    /**
     * A copy of an image waiting for its batch or in its model call joins it; false when no image
     * with its content hash is waiting.
     */
    boolean joinOriginal(Domain domain, DecodedImage copy) {
        return batches.joinWaitingOriginal(domain, copy) || calls.joinInFlight(domain, copy);
    }

    /**
     * Takes a decoded image into its domain's batch, and starts the batch when it is full.
     *
     * @return true when the image waits for its batch (the operator's timer decides when)
     */
    boolean add(Domain domain, DecodedImage image, Object key, long arrivedMillis, long nowMillis)
            throws Exception {
        if (!batches.add(domain, image, key, arrivedMillis, nowMillis)) {
            return true;
        }
        take(calls.await(domain));
        start(domain);
        return false;
    }

    /** When the timer looks first after an image was taken in ({@link MicroBatches}). */
    long firstCheck(long nowMillis) {
        return batches.firstCheck(nowMillis);
    }

    /** At the timer: 0 to {@link #startAll} now, later to look again, -1 when nothing waits. */
    long nextCheck(long nowMillis) {
        return batches.nextCheck(nowMillis);
    }

    /** Starts every domain's pending batch, or marks it to start when its busy model is free. */
    void startAll() throws Exception {
        for (Domain domain : Domain.values()) {
            if (!batches.hasPending(domain)) {
                continue;
            }
            if (calls.busy(domain)) {
                startWhenDone.add(domain);
            } else {
                start(domain);
            }
        }
    }

    /** Every pending image classified and every call taken, domains side by side. */
    void finishAll() throws Exception {
        startAll();
        for (Domain domain : Domain.values()) {
            finish(domain);
        }
    }

    /** A domain's call in flight and pending images, classified and taken. */
    void finish(Domain domain) throws Exception {
        do {
            take(calls.await(domain));
            if (batches.hasPending(domain)) {
                start(domain);
            }
        } while (calls.busy(domain));
    }

    /** On the task thread, after a domain's thread said its call finished. */
    void onCallDone(Domain domain) throws Exception {
        Call call = calls.takeIfDone(domain);
        if (call == null) {
            return; // already taken by a barrier, a full batch or a swap
        }
        taker.take(call);
        if (startWhenDone.contains(domain)) {
            start(domain);
        }
    }

    /** Hands the domain's pending batch to its model; the domain must not be busy. */
    private void start(Domain domain) throws Exception {
        startWhenDone.remove(domain);
        List<MicroBatches.Pending> batch = batches.take(domain);
        if (batch.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<float[]> inputs = new ArrayList<>(batch.size());
        int[] parts = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            MicroBatches.Pending item = batch.get(i);
            inputs.add(item.image.pixels);
            parts[i] = item.image.parts;
            metrics.queueWait(TimeUnit.NANOSECONDS.toMillis(now - item.enqueuedNanos));
        }
        calls.start(domain, batch, models.apply(domain), inputs, parts);
        // Inline (no thread for the domain) the call is done: take it now.
        take(calls.takeIfDone(domain));
    }

    private void take(Call call) throws Exception {
        if (call != null) {
            taker.take(call);
        }
    }

    /** Images waiting for their batch. */
    int pendingCount() {
        return batches.pendingCount();
    }

    /** Model calls started and not yet taken. */
    int callsInFlight() {
        return calls.inFlightCount();
    }

    /**
     * Stops the model threads, waiting for a running call.
     *
     * @throws IllegalStateException when a call still runs: the models must stay open
     */
    @Override
    public void close() {
        calls.close();
    }
}
