package org.imagestream.inference;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;

/**
 * The classify stage's micro-batches: images waiting per domain for one model call, and when to
 * make it. A domain's batch is full at {@code maxBatchSize} model inputs (an image classified in
 * parts counts each part) or when its inputs take {@code maxBatchBytes} of heap (4 bytes a value:
 * 128 inputs of a 224x224x3 model would hold 77 MB), whichever comes first; it always takes the
 * image that fills it, so an image larger than the budget is a batch of its own. Otherwise batches
 * grow with the backlog: they are flushed once the input pauses for {@code delay} after the last
 * image was taken in, or when the oldest image has waited {@code maxWait}, whichever comes first; a
 * lone image that arrived while the operator was busy waits {@code delay}. (Counting the delay from
 * the oldest image's arrival instead would flush batches of one exactly when input is queued, since
 * decoding an image can take longer than the delay.) An image that arrives after the operator has
 * been idle for at least {@code delay}, with nothing waiting, is classified at once: no backlog
 * stands behind it, so waiting would only add the delay to its latency, while under backlog images
 * arrive back to back and batch as before (those that queue up during a model call form the next
 * batch). Plain Java: the operator owns the timer and passes processing time in.
 */
final class MicroBatches {
    /** One buffered image: the record, its key, and copies that arrived while it waited. */
    static final class Pending {
        final DecodedImage image;
        final Object key;
        final long enqueuedNanos;
        final List<DecodedImage> copies = new ArrayList<>();

        Pending(DecodedImage image, Object key) {
            this.image = image;
            this.key = key;
            this.enqueuedNanos = System.nanoTime();
        }
    }

    private final int maxBatchSize;
    private final long maxBatchBytes;
    private final long delayMillis;
    private final long maxWaitMillis;
    private final EnumMap<Domain, List<Pending>> pending = new EnumMap<>(Domain.class);
    private int pendingCount;

    /** When the last image was taken into a batch (processing time, after its decode). */
    private long lastInputMillis;

    /** When the oldest pending image arrived (processing time). */
    private long oldestPendingMillis;

    /** When the operator last finished work (an image or a flush): idle since then. */
    private long idleSinceMillis;

    /**
     * @param maxBatchBytes heap the model inputs of one domain's batch may take
     * @param delayMillis the pause in input that flushes (at least 1 ms)
     * @param maxWaitMillis the longest the oldest image waits while input keeps arriving (at least
     *     the delay)
     */
    MicroBatches(int maxBatchSize, long maxBatchBytes, long delayMillis, long maxWaitMillis) {
        this.maxBatchSize = maxBatchSize;
        this.maxBatchBytes = maxBatchBytes;
        this.delayMillis = Math.max(1, delayMillis);
        this.maxWaitMillis = Math.max(this.delayMillis, maxWaitMillis);
    }

    /** The operator finished its work at {@code nowMillis} (opened, took an image in, flushed). */
    void idleFrom(long nowMillis) {
        idleSinceMillis = nowMillis;
    }

    /**
     * A copy of an image already waiting in its domain's batch joins it (classified once, with its
     * original); false when no image with its content hash is waiting.
     */
    boolean joinWaitingOriginal(Domain domain, DecodedImage copy) {
        List<Pending> queue = pending.get(domain);
        if (queue != null) {
            for (Pending waiting : queue) {
                if (waiting.image.contentSha256.equals(copy.contentSha256)) {
                    waiting.copies.add(copy);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Takes a decoded image into its domain's batch.
     *
     * @param arrivedMillis when it arrived (before its decode)
     * @param nowMillis now (after its decode)
     * @return true when the batch should be classified now: it is full, or this image came to an
     *     operator idle for at least the delay and nothing else waits
     */
    boolean add(Domain domain, DecodedImage image, Object key, long arrivedMillis, long nowMillis) {
        boolean afterIdle = pendingCount == 0 && arrivedMillis - idleSinceMillis >= delayMillis;
        if (pendingCount == 0) {
            oldestPendingMillis = arrivedMillis;
        }
        List<Pending> queue = pending.computeIfAbsent(domain, d -> new ArrayList<>());
        queue.add(new Pending(image, key));
        pendingCount++;
        lastInputMillis = nowMillis;
        int inputs = 0;
        long bytes = 0;
        for (Pending item : queue) {
            inputs += item.image.parts;
            bytes += bytesOf(item.image.pixels.length);
        }
        return afterIdle || inputs >= maxBatchSize || bytes >= maxBatchBytes;
    }

    /**
     * Model inputs one model call of a tiled scene's tiles takes: {@code maxBatchSize}, fewer when
     * that many would take more than {@code maxBatchBytes}; at least one.
     */
    int inputsPerGroup(int valuesPerInput) {
        long fit = maxBatchBytes / bytesOf(valuesPerInput);
        return (int) Math.max(1, Math.min(maxBatchSize, fit));
    }

    /** Heap a model input of this many values takes (a float each). */
    private static long bytesOf(int values) {
        return (long) values * Float.BYTES;
    }

    /** A domain's batch, removed; empty when none waits. */
    List<Pending> take(Domain domain) {
        List<Pending> batch = pending.remove(domain);
        if (batch == null) {
            return List.of();
        }
        pendingCount -= batch.size();
        return batch;
    }

    int pendingCount() {
        return pendingCount;
    }

    /** When to look first after an image was taken in at {@code nowMillis}. */
    long firstCheck(long nowMillis) {
        return nowMillis + delayMillis;
    }

    /**
     * At a check: 0 to flush every batch now, or when to look again, because input is still
     * arriving back to back (an image was taken in within the delay) and the oldest image can still
     * wait. -1 when nothing waits.
     */
    long nextCheck(long nowMillis) {
        if (pendingCount == 0) {
            return -1;
        }
        long latest = oldestPendingMillis + maxWaitMillis;
        if (nowMillis - lastInputMillis < delayMillis && nowMillis < latest) {
            return Math.min(lastInputMillis + delayMillis, latest);
        }
        return 0;
    }
}
