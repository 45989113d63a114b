package org.imagestream.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.ingest.ImagePublisher;

/**
 * Readers that tail a topic as the job's Kafka source reads it: a thread per partition, each with
 * its partition assigned and no offset commits, fetches of at least one byte and the job's largest
 * fetch per partition unless {@code overrides} say otherwise, from the topic's start. Each record's
 * hop is noted: when the poll that returned it came back here, less its produce timestamp (set by a
 * producer on this machine, so one clock): what the producer's send, the broker and a plain
 * consumer add to an image's latency before any of the job's work.
 */
final class TopicReaders implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private final Hops hops = new Hops();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong valueBytes = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;
    private boolean closed;

    TopicReaders(
            String bootstrapServers, String topic, int partitions, Map<String, String> overrides) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // As the job's source reads (committed records only).
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
        properties.put(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        properties.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        properties.putAll(overrides);
        for (int partition = 0; partition < partitions; partition++) {
            TopicPartition assigned = new TopicPartition(topic, partition);
            Thread thread =
                    new Thread(() -> read(properties, assigned), "topic-reader-" + partition);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    private void read(Properties properties, TopicPartition partition) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (!stopped) {
                var polled = consumer.poll(Duration.ofMillis(100));
                long arrivedMillis = System.currentTimeMillis();
                for (var record : polled) {
                    hops.record(record.timestamp(), arrivedMillis - record.timestamp());
                    valueBytes.addAndGet(record.value().length);
                    records.incrementAndGet();
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    /** Waits (at most a minute) until {@code count} records have arrived; their bytes. */
    long awaitBytes(int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (records.get() < count
                && failure.get() == null
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a reader failed", failure.get());
        }
        if (records.get() < count) {
            throw new IllegalStateException(
                    "only " + records.get() + " of " + count + " records arrived in a minute");
        }
        return valueBytes.get();
    }

    /** Every record's hop, once {@link #close} has stopped the readers. */
    Hops hops() {
        if (!closed) {
            throw new IllegalStateException("the readers are still reading");
        }
        if (failure.get() != null) {
            // Partial hops would pass for a quiet broker.
            throw new IllegalStateException("a reader failed", failure.get());
        }
        return hops;
    }

    /**
     * Stops the readers; each ends within a poll (100 ms) and its consumer's close, which Kafka
     * bounds at 30 s. A reader still alive after a minute is interrupted and counted as failed, so
     * {@link #hops} refuses its partial hops instead of the run hanging on it.
     */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        for (Thread thread : threads) {
            thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (thread.isAlive()) {
                thread.interrupt();
                failure.compareAndSet(
                        null,
                        new IllegalStateException(thread.getName() + " did not stop in a minute"));
            }
        }
        closed = true;
    }
}
