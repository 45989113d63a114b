package org.imagestream.testing;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;

/**
 * Publishes generated images of all three domains to a real Kafka topic from a background thread at
 * a steady pace, so faults injected by a test hit a stream in motion. Every {@code
 * malformedEvery}-th image is truncated to 100 bytes (a dead letter). Records the job's image id
 * ({@code topic-partition-offset}) of every acknowledged record, split into good and malformed.
 */
public final class PacedProducer implements AutoCloseable {
    private final Map<String, byte[]> good = new ConcurrentHashMap<>();
    private final Set<String> malformed = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private final Thread thread;

    private PacedProducer(
            String bootstrapServers,
            String topic,
            int images,
            int perSecond,
            int malformedEvery,
            long seed) {
        this.thread =
                new Thread(
                        () -> run(bootstrapServers, topic, images, perSecond, malformedEvery, seed),
                        "paced-producer-" + topic);
    }

    /**
     * Starts publishing {@code images} images at about {@code perSecond}; {@code malformedEvery} 0
     * means none malformed.
     */
    public static PacedProducer start(
            String bootstrapServers,
            String topic,
            int images,
            int perSecond,
            int malformedEvery,
            long seed) {
        PacedProducer producer =
                new PacedProducer(bootstrapServers, topic, images, perSecond, malformedEvery, seed);
        producer.thread.start();
        return producer;
    }

    private void run(
            String bootstrapServers,
            String topic,
            int images,
            int perSecond,
            int malformedEvery,
            long seed) {
        Random random = new Random(seed);
        long started = System.nanoTime();
        try (ImagePublisher publisher = ImagePublisher.forBootstrapServers(bootstrapServers)) {
            for (int i = 0; i < images; i++) {
                Domain domain = Domain.values()[i % 3];
                SampleImages.Sample sample = SampleImages.generate(domain, i, random);
                boolean bad = malformedEvery > 0 && i % malformedEvery == malformedEvery - 1;
                byte[] bytes = bad ? Arrays.copyOf(sample.bytes(), 100) : sample.bytes();
                RecordMetadata metadata =
                        publisher
                                .publish(
                                        topic,
                                        domain.id(),
                                        sample.fileName(),
                                        sample.contentType(),
                                        bytes)
                                .get();
                String id = RecordIds.of(publisher.clientProperties(), metadata);
                if (bad) {
                    malformed.add(id);
                } else {
                    good.put(id, bytes);
                }
                // Pace against the start time, so slow sends do not stretch the schedule.
                long due = started + TimeUnit.SECONDS.toNanos(i + 1) / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        } catch (Throwable e) {
            error.set(e);
        }
    }

    /** Waits for the last record to be acknowledged; fails if publishing failed. */
    public void await(long timeoutMillis) throws InterruptedException {
        thread.join(timeoutMillis);
        if (thread.isAlive()) {
            throw new AssertionError("producer still publishing after " + timeoutMillis + " ms");
        }
        if (error.get() != null) {
            throw new AssertionError("producer failed", error.get());
        }
    }

    /** Image id to bytes of every well-formed image acknowledged so far. */
    public Map<String, byte[]> good() {
        return good;
    }

    /** Image ids of the malformed images acknowledged so far. */
    public Set<String> malformed() {
        return malformed;
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join(10_000);
    }
}
