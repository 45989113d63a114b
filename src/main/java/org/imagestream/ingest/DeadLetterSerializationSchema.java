package org.imagestream.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
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

    private final String topic;

    public DeadLetterSerializationSchema(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        for (Map.Entry<String, String> header : deadLetter.headers.entrySet()) {
            if (!header.getKey().startsWith("dead-letter-")) {
                headers.add(header.getKey(), utf8(header.getValue()));
            }
        }
        headers.add(ImageHeaders.DEAD_LETTER_REASON, utf8(deadLetter.reason));
        headers.add(ImageHeaders.DEAD_LETTER_STAGE, utf8(deadLetter.stage));
        headers.add(ImageHeaders.DEAD_LETTER_MESSAGE, utf8(deadLetter.message));
        headers.add(ImageHeaders.DEAD_LETTER_IMAGE_ID, utf8(deadLetter.imageId));
        headers.add(
                ImageHeaders.DEAD_LETTER_ORIGIN,
                utf8(deadLetter.topic + "/" + deadLetter.partition + "/" + deadLetter.offset));
        return new ProducerRecord<>(
                topic, null, timestamp, utf8(deadLetter.imageId), deadLetter.bytes, headers);
    }

    private static byte[] utf8(String value) {
        return value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
    }
}
