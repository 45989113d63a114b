package org.imagestream.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.model.Domain;

/**
 * Publishes test inputs with the project's producer and names each by the image id the job gives it
 * ({@link RecordIds}), so a test can match rows and dead letters to inputs.
 */
public final class PublishedImages {
    private PublishedImages() {}

    /** One image; returns its image id once the broker acknowledged it. */
    public static String publish(
            ImagePublisher publisher, String topic, Domain domain, String sourceId, byte[] bytes)
            throws Exception {
        return RecordIds.of(
                publisher.clientProperties(),
                publisher.publish(topic, domain.id(), sourceId, null, bytes).get());
    }

    /**
     * Every input, sent before any acknowledgement is awaited; returns them by image id, in the
     * order sent.
     */
    public static <T> Map<String, T> publishAll(
            String bootstrapServers,
            String topic,
            List<T> inputs,
            Function<T, Domain> domain,
            Function<T, String> sourceId,
            Function<T, byte[]> bytes)
            throws Exception {
        Map<String, T> byId = new LinkedHashMap<>();
        try (ImagePublisher publisher = ImagePublisher.forBootstrapServers(bootstrapServers)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (T input : inputs) {
                sent.add(
                        publisher.publish(
                                topic,
                                domain.apply(input).id(),
                                sourceId.apply(input),
                                null,
                                bytes.apply(input)));
            }
            for (int i = 0; i < sent.size(); i++) {
                byId.put(
                        RecordIds.of(publisher.clientProperties(), sent.get(i).get()),
                        inputs.get(i));
            }
        }
        return byId;
    }
}
