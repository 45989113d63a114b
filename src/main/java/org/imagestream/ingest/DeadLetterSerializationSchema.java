package org.imagestream.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.imagestream.model.DeadLetter;

/**
 * Dead letter to Kafka record: the original bytes as value (so the record can be replayed as is),
 * the original headers, plus reason, stage, message, image id and origin ({@code
 * topic/partition/offset}). Keyed by image id. A named class, not a lambda: Flink cannot infer the
 * types of a lambda serialization schema.
 */
public class DeadLetterSerializationSchema implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    /**
     * Room kept for the record batch and record framing the producer adds (batch header 61 bytes,
     * per-record varints and header counts), with a wide margin.
     */
    static final int FRAMING_BYTES = 4096;

    /** Longest reason message carried: messages quote parser errors of unbounded length. */
    static final int MAX_MESSAGE_CHARS = 2048;

    private final String topic;
    private final int maxRecordBytes;

    /** A schema for the Kafka producer's default {@code max.request.size} (1 MiB). */
    public DeadLetterSerializationSchema(String topic) {
        this(topic, 1024 * 1024);
    }

    /**
     * @param maxRequestBytes the dead-letter producer's {@code max.request.size}: a letter that
     *     would not fit leaves out the original bytes (then the original headers) and says so in
     *     {@link ImageHeaders#DEAD_LETTER_OMITTED}, instead of failing the job on every replay with
     *     {@code RecordTooLargeException}
     */
    public DeadLetterSerializationSchema(String topic, int maxRequestBytes) {
        if (maxRequestBytes <= 2 * FRAMING_BYTES) {
            throw new IllegalArgumentException(
                    "the dead-letter producer's max.request.size of "
                            + maxRequestBytes
                            + " bytes leaves no room for a dead letter; raise it above "
                            + 2 * FRAMING_BYTES);
        }
        this.topic = topic;
        this.maxRecordBytes = maxRequestBytes - FRAMING_BYTES;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        byte[] key = utf8(deadLetter.imageId);
        byte[] value = deadLetter.bytes == null ? new byte[0] : deadLetter.bytes;
        RecordHeaders own = new RecordHeaders();
        own.add(ImageHeaders.DEAD_LETTER_REASON, utf8(deadLetter.reason));
        own.add(ImageHeaders.DEAD_LETTER_STAGE, utf8(deadLetter.stage));
        own.add(ImageHeaders.DEAD_LETTER_MESSAGE, utf8(truncate(deadLetter.message)));
        own.add(ImageHeaders.DEAD_LETTER_IMAGE_ID, key);
        own.add(
                ImageHeaders.DEAD_LETTER_ORIGIN,
                utf8(deadLetter.topic + "/" + deadLetter.partition + "/" + deadLetter.offset));
        RecordHeaders original = new RecordHeaders();
        for (Map.Entry<String, String> header : deadLetter.headers.entrySet()) {
            if (!header.getKey().startsWith("dead-letter-")) {
                original.add(header.getKey(), utf8(header.getValue()));
            }
        }
        long fixed = key.length + size(own) + 256; // 256: the omitted-header itself
        String omitted = null;
        if (fixed + size(original) + value.length > maxRecordBytes) {
            omitted = value.length + " original bytes";
            value = new byte[0];
            if (fixed + size(original) > maxRecordBytes) {
                omitted += " and " + size(original) + " bytes of original headers";
                original = new RecordHeaders();
            }
        }
        RecordHeaders headers = new RecordHeaders();
        original.forEach(headers::add);
        own.forEach(headers::add);
        if (omitted != null) {
            headers.add(
                    ImageHeaders.DEAD_LETTER_OMITTED,
                    utf8(omitted + " left out: over max.request.size; see dead-letter-origin"));
        }
        return new ProducerRecord<>(topic, null, timestamp, key, value, headers);
    }

    private static long size(RecordHeaders headers) {
        long bytes = 0;
        for (Header header : headers) {
            bytes += header.key().length() * 4L + header.value().length + 10;
        }
        return bytes;
    }

    private static String truncate(String message) {
        return message == null || message.length() <= MAX_MESSAGE_CHARS
                ? message
                : message.substring(0, MAX_MESSAGE_CHARS) + "...";
    }

    private static byte[] utf8(String value) {
        return value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
    }
}
