package org.imagestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.imagestream.model.DeadLetter;
import org.junit.jupiter.api.Test;

/**
 * Dead letters always fit the producer's {@code max.request.size}: checked with the size the Kafka
 * producer itself computes before it refuses a record ({@code
 * AbstractRecords.estimateSizeInBytesUpperBound}, what {@code KafkaProducer.doSend} compares to
 * {@code max.request.size}).
 */
class DeadLetterSerializationSchemaTest {
    private static final int ONE_MIB = 1024 * 1024;

    @Test
    void shouldCarryTheOriginalBytesWhenTheLetterFits() {
        DeadLetter letter = letter(new byte[200_000], "x");
        ProducerRecord<byte[], byte[]> record = serialize(letter, ONE_MIB);
        assertThat(record.value()).isEqualTo(letter.bytes);
        assertThat(record.headers().lastHeader(ImageHeaders.DEAD_LETTER_OMITTED)).isNull();
        assertThat(header(record, "source-id")).isEqualTo("x");
        assertThat(producerSize(record)).isLessThanOrEqualTo(ONE_MIB);
    }

    @Test
    void shouldLeaveOutBytesOverTheProducersRequestSizeAndSaySo() {
        DeadLetter letter = letter(new byte[3 * ONE_MIB], "x");
        ProducerRecord<byte[], byte[]> record = serialize(letter, ONE_MIB);
        assertThat(record.value()).isEmpty();
        assertThat(header(record, ImageHeaders.DEAD_LETTER_OMITTED))
                .startsWith(3 * ONE_MIB + " original bytes");
        assertThat(header(record, ImageHeaders.DEAD_LETTER_ORIGIN)).isEqualTo("images/1/42");
        assertThat(header(record, ImageHeaders.DEAD_LETTER_REASON)).isEqualTo("TOO_LARGE");
        assertThat(header(record, "source-id")).isEqualTo("x");
        assertThat(producerSize(record)).isLessThanOrEqualTo(ONE_MIB);
    }

    @Test
    void shouldLeaveOutOversizedHeadersAndCapTheMessage() {
        char[] huge = new char[2 * ONE_MIB];
        Arrays.fill(huge, 'h');
        DeadLetter letter = letter(new byte[10], new String(huge));
        letter.message = "m".repeat(ONE_MIB);
        ProducerRecord<byte[], byte[]> record = serialize(letter, ONE_MIB);
        assertThat(record.value()).isEmpty();
        assertThat(record.headers().lastHeader("source-id")).isNull();
        assertThat(header(record, ImageHeaders.DEAD_LETTER_OMITTED)).contains("original headers");
        assertThat(header(record, ImageHeaders.DEAD_LETTER_MESSAGE).length()).isLessThan(4096);
        assertThat(producerSize(record)).isLessThanOrEqualTo(ONE_MIB);
    }

    private static ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, int maxRequest) {
        return new DeadLetterSerializationSchema("images-dead-letter", maxRequest)
                .serialize(letter, null, 1L);
    }

    private static int producerSize(ProducerRecord<byte[], byte[]> record) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE,
                record.key(),
                record.value(),
                record.headers().toArray());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static DeadLetter letter(byte[] bytes, String sourceId) {
        DeadLetter letter = new DeadLetter();
        letter.reason = "TOO_LARGE";
        letter.stage = "decode";
        letter.message = "too large";
        letter.imageId = "images-1-42";
        letter.topic = "images";
        letter.partition = 1;
        letter.offset = 42;
        letter.headers.put("source-id", sourceId);
        letter.bytes = bytes;
        return letter;
    }
}
