package org.imagestream.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes images to Kafka in the job's wire format (bytes as value, metadata in {@link
 * ImageHeaders}), keyed by source id. Idempotent producer with {@code acks=all}, so a retried send
 * never duplicates a record. Used by the demo, the tests and the producer command.
 */
public final class ImagePublisher implements AutoCloseable {
    /**
     * Default largest image; broker {@code message.max.bytes} must be at least this plus headers.
     */
    public static final int DEFAULT_MAX_IMAGE_BYTES = 16 * 1024 * 1024;

    /**
     * Largest record at the default image limit: the image plus room for headers. Brokers' {@code
     * message.max.bytes}, producers' {@code max.request.size} and consumers' {@code
     * max.partition.fetch.bytes} are sized from it.
     */
    public static final int MAX_RECORD_BYTES = DEFAULT_MAX_IMAGE_BYTES + 64 * 1024;

    /**
     * Producer batch size: several typical images (a 224x224 JPEG is tens of KB, a CT slice 512
     * KB).
     */
    static final int BATCH_BYTES = 1024 * 1024;

    private final KafkaProducer<byte[], byte[]> producer;
    private final Properties clientProperties = new Properties();

    public ImagePublisher(Properties kafkaProperties) {
        clientProperties.putAll(kafkaProperties);
        Properties properties = new Properties();
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        properties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_RECORD_BYTES));
        // Send at once: an image published alone (a scanner, a camera) would otherwise wait 5 ms
        // (Kafka 4's default) for followers, on top of its produce-to-row latency. Under bulk
        // publishing batches still form: with one request in flight (below) the images queued
        // behind it go together in the next request.
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // Batches that hold several images: at the default 16 KiB every image is a batch of its
        // own, and with one request in flight (below) a request then carries one image per
        // partition, so the broker's per-request work is paid per image.
        properties.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(BATCH_BYTES));
        // One request in flight per broker: with several, a first batch that fails retriably
        // (e.g. NOT_LEADER_OR_FOLLOWER right after a topic is created or a leader moves) while a
        // later one succeeds is retried into OUT_OF_ORDER_SEQUENCE_NUMBER until the delivery
        // timeout (KAFKA-14359; seen here producing into a just-created topic).
        properties.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        properties.putAll(kafkaProperties);
        this.producer =
                new KafkaProducer<>(
                        properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static ImagePublisher forBootstrapServers(String bootstrapServers) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return new ImagePublisher(properties);
    }

    /** Sends one image; the future completes when the broker has acknowledged it. */
    public Future<RecordMetadata> publish(
            String topic, String domain, String sourceId, String contentType, byte[] bytes) {
        return publish(topic, domain, sourceId, contentType, bytes, java.util.Map.of());
    }

    /** Sends one image with extra headers (free metadata, e.g. capture time). */
    public Future<RecordMetadata> publish(
            String topic,
            String domain,
            String sourceId,
            String contentType,
            byte[] bytes,
            java.util.Map<String, String> extraHeaders) {
        return publish(topic, domain, sourceId, contentType, bytes, extraHeaders, null);
    }

    /**
     * Sends one image with extra headers; {@code acknowledged} (may be null) runs once the broker
     * has acknowledged it or the send has failed: on the producer's I/O thread, so it must be quick
     * (on the calling thread when the send fails at once).
     */
    public Future<RecordMetadata> publish(
            String topic,
            String domain,
            String sourceId,
            String contentType,
            byte[] bytes,
            java.util.Map<String, String> extraHeaders,
            Callback acknowledged) {
        RecordHeaders headers = new RecordHeaders();
        extraHeaders.forEach(
                (key, value) -> headers.add(key, value.getBytes(StandardCharsets.UTF_8)));
        if (domain != null) {
            headers.add(ImageHeaders.DOMAIN, domain.getBytes(StandardCharsets.UTF_8));
        }
        if (sourceId != null) {
            headers.add(ImageHeaders.SOURCE_ID, sourceId.getBytes(StandardCharsets.UTF_8));
        }
        if (contentType != null) {
            headers.add(ImageHeaders.CONTENT_TYPE, contentType.getBytes(StandardCharsets.UTF_8));
        }
        byte[] key = sourceId == null ? null : sourceId.getBytes(StandardCharsets.UTF_8);
        return producer.send(
                new ProducerRecord<>(topic, null, null, key, bytes, headers), acknowledged);
    }

    /** The connection properties this publisher was made with (bootstrap servers, TLS, SASL). */
    public Properties clientProperties() {
        Properties copy = new Properties();
        copy.putAll(clientProperties);
        return copy;
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
