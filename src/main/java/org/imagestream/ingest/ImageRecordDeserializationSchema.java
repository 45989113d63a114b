package org.imagestream.ingest;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.imagestream.model.ImageRecord;

/**
 * Kafka record to {@link ImageRecord}: value = image bytes, headers = metadata. It never rejects a
 * record (it does not parse the image), so nothing is lost at the source: validation happens in the
 * decode stage, which dead-letters with a reason.
 */
public class ImageRecordDeserializationSchema
        implements KafkaRecordDeserializationSchema<ImageRecord> {
    private static final long serialVersionUID = 2L;

    private final ImageIds.TopicIdLookup topicIds;
    private transient ImageIds imageIds;

    /**
     * @param topicIds where topic ids come from ({@link ImageIds#fromBroker} in the job)
     */
    public ImageRecordDeserializationSchema(ImageIds.TopicIdLookup topicIds) {
        this.topicIds = topicIds;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        imageIds = new ImageIds(topicIds);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ImageRecord> out) {
        ImageRecord image = new ImageRecord();
        image.topic = record.topic();
        image.partition = record.partition();
        image.offset = record.offset();
        if (imageIds == null) {
            imageIds = new ImageIds(topicIds);
        }
        image.imageId = imageIds.of(record.topic(), record.partition(), record.offset());
        image.kafkaTimestamp = record.timestamp();
        image.bytes = record.value() == null ? new byte[0] : record.value();
        for (Header header : record.headers()) {
            if (header.value() != null) {
                image.headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        image.domain = image.headers.get(ImageHeaders.DOMAIN);
        image.sourceId = image.headers.get(ImageHeaders.SOURCE_ID);
        image.contentType = image.headers.get(ImageHeaders.CONTENT_TYPE);
        out.collect(image);
    }

    @Override
    public TypeInformation<ImageRecord> getProducedType() {
        return TypeInformation.of(ImageRecord.class);
    }
}
