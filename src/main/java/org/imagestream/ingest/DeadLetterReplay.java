package org.imagestream.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reads the dead-letter topic and replays selected letters to the topics they came from, after the
 * cause was fixed, exactly once: each replay is one Kafka transaction holding the republished
 * records and, in a replay log topic ({@code <dead-letter topic>.replayed}), the position of every
 * letter it replayed. A letter already in the log is never replayed again, a replay cut short
 * commits nothing, and a second replay running at the same time is fenced (one transactional id per
 * dead-letter topic). Republished records carry their original headers plus {@value #REPLAY_OF},
 * naming the dead letter's image id. Letters without their bytes (medical records, which are
 * dead-lettered bytes-free, and letters over the size limit) cannot be replayed: their source must
 * send them again.
 */
public final class DeadLetterReplay {
    /** Header on a republished record: the image id of the dead letter it replays. */
    public static final String REPLAY_OF = "dead-letter-replay-of";

    private final Properties client;
    private final String deadLetterTopic;

    /**
     * @param client Kafka client properties: bootstrap servers and any TLS/SASL settings
     */
    public DeadLetterReplay(Properties client, String deadLetterTopic) {
        this.client = new Properties();
        this.client.putAll(client);
        this.deadLetterTopic = deadLetterTopic;
    }

    /** One dead letter as stored: where it is, why, and the original record. */
    public record Letter(
            int partition,
            long offset,
            Instant time,
            String reason,
            String stage,
            String message,
            String imageId,
            String origin,
            String omitted,
            Map<String, String> originalHeaders,
            byte[] bytes) {
        /** {@code <partition>:<offset>} in the dead-letter topic. */
        public String position() {
            return partition + ":" + offset;
        }

        /**
         * The topic the record came from ({@code dead-letter-origin} is topic/partition/offset).
         */
        public String originTopic() {
            int end = origin == null ? -1 : origin.lastIndexOf('/', origin.lastIndexOf('/') - 1);
            return end <= 0 ? null : origin.substring(0, end);
        }

        /** The origin's partition and offset, or null when the letter names none. */
        TopicPartition originPartition() {
            String topic = originTopic();
            return topic == null
                    ? null
                    : new TopicPartition(
                            topic,
                            Integer.parseInt(
                                    origin.substring(topic.length() + 1, origin.lastIndexOf('/'))));
        }

        long originOffset() {
            return Long.parseLong(origin.substring(origin.lastIndexOf('/') + 1));
        }

        Letter withOriginal(byte[] originalBytes, Map<String, String> headers) {
            return new Letter(
                    partition,
                    offset,
                    time,
                    reason,
                    stage,
                    message,
                    imageId,
                    origin,
                    omitted,
                    headers,
                    originalBytes);
        }
    }

    /** Every committed letter that matches, in topic order. */
    public List<Letter> read(Predicate<Letter> filter) {
        return read(deadLetterTopic, filter);
    }

    /** What a replay did: letters republished, skipped as already replayed, not replayable. */
    public record Outcome(
            List<Letter> replayed, List<Letter> alreadyReplayed, Map<Letter, String> refused) {}

    /** Replays the matching letters not replayed before, in one transaction. */
    public Outcome replay(Predicate<Letter> filter, boolean dryRun) throws Exception {
        String log = deadLetterTopic + ".replayed";
        ensureLogTopic(log);
        Properties producerProperties = new Properties();
        producerProperties.putAll(client);
        producerProperties.put(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "imagestream-replay-" + deadLetterTopic);
        producerProperties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
        // One transaction per replay: give a large one the broker's default maximum.
        producerProperties.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "900000");
        producerProperties.put(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(
                        producerProperties, new ByteArraySerializer(), new ByteArraySerializer())) {
            // Fences an earlier replay still running; only then is the log complete.
            producer.initTransactions();
            Set<String> done = new HashSet<>();
            forEachRecord(log, entry -> done.add(new String(entry.key(), StandardCharsets.UTF_8)));
            List<Letter> replayed = new ArrayList<>();
            List<Letter> already = new ArrayList<>();
            Map<Letter, String> refused = new LinkedHashMap<>();
            // Each origin topic's current id, asked once per replay (not once per letter).
            Map<String, String> topicIds = new java.util.HashMap<>();
            for (Letter letter : read(filter)) {
                if (done.contains(letter.position())) {
                    already.add(letter);
                } else if (letter.originTopic() == null) {
                    refused.put(letter, "it names no origin record");
                } else if (letter.bytes().length > 0) {
                    replayed.add(letter);
                } else {
                    Letter original = fromOrigin(letter, topicIds);
                    if (original == null) {
                        refused.put(
                                letter,
                                "it has no bytes and its original record is no longer in "
                                        + letter.origin());
                    } else {
                        replayed.add(original);
                    }
                }
            }
            if (dryRun || replayed.isEmpty()) {
                return new Outcome(replayed, already, refused);
            }
            producer.beginTransaction();
            try {
                for (Letter letter : replayed) {
                    RecordHeaders headers = new RecordHeaders();
                    letter.originalHeaders().forEach((key, value) -> headers.add(key, utf8(value)));
                    headers.add(REPLAY_OF, utf8(letter.imageId()));
                    String sourceId = letter.originalHeaders().get(ImageHeaders.SOURCE_ID);
                    producer.send(
                            new ProducerRecord<>(
                                    letter.originTopic(),
                                    null,
                                    null,
                                    sourceId == null ? null : utf8(sourceId),
                                    letter.bytes(),
                                    headers));
                    producer.send(
                            new ProducerRecord<>(
                                    log, utf8(letter.position()), utf8(letter.imageId())));
                }
                producer.commitTransaction();
            } catch (RuntimeException e) {
                producer.abortTransaction();
                throw e;
            }
            return new Outcome(replayed, already, refused);
        }
    }

    /** The letter with the bytes and headers of its original record, or null when it is gone. */
    private Letter fromOrigin(Letter letter, Map<String, String> topicIds) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
        TopicPartition partition = letter.originPartition();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            long earliest =
                    consumer.beginningOffsets(List.of(partition), Duration.ofSeconds(60))
                            .get(partition);
            long end =
                    consumer.endOffsets(List.of(partition), Duration.ofSeconds(60)).get(partition);
            if (letter.originOffset() < earliest || letter.originOffset() >= end) {
                return null;
            }
            // The letter's image id names the topic incarnation: after the topic was deleted and
            // recreated, another record sits at that offset.
            String current;
            try {
                current = topicIds.get(partition.topic());
                if (current == null) {
                    current = ImageIds.fromBroker(client).topicId(partition.topic());
                    topicIds.put(partition.topic(), current);
                }
            } catch (Exception e) {
                return null;
            }
            String expected =
                    ImageIds.format(
                            partition.topic(),
                            partition.partition(),
                            letter.originOffset(),
                            current);
            if (letter.imageId() != null
                    && letter.imageId().contains("@")
                    && !letter.imageId().equals(expected)) {
                return null;
            }
            consumer.seek(partition, letter.originOffset());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() != letter.originOffset()) {
                        return null; // the record was compacted away: another one answered
                    }
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (Header header : record.headers()) {
                        headers.put(
                                header.key(),
                                header.value() == null
                                        ? ""
                                        : new String(header.value(), StandardCharsets.UTF_8));
                    }
                    byte[] value = record.value() == null ? new byte[0] : record.value();
                    // An image by reference has no value: its content-location is the image.
                    boolean reference =
                            value.length == 0 && headers.containsKey(ImageHeaders.CONTENT_LOCATION);
                    return value.length == 0 && !reference
                            ? null
                            : letter.withOriginal(value, headers);
                }
            }
            return null;
        }
    }

    private void ensureLogTopic(String log) throws Exception {
        try (Admin admin = Admin.create(client)) {
            if (!admin.listTopics().names().get(60, TimeUnit.SECONDS).contains(log)) {
                admin.createTopics(List.of(new NewTopic(log, 1, (short) -1)))
                        .all()
                        .get(60, TimeUnit.SECONDS);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private List<Letter> read(String topic, Predicate<Letter> filter) {
        // Filtered as they are read: only the selected letters' bytes are kept in memory.
        List<Letter> letters = new ArrayList<>();
        forEachRecord(
                topic,
                record -> {
                    Letter letter = toLetter(record);
                    if (filter.test(letter)) {
                        letters.add(letter);
                    }
                });
        return letters;
    }

    /** Every committed record of a topic, from the start to its end when asked. */
    private void forEachRecord(
            String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> action) {
        Properties properties = new Properties();
        properties.putAll(client);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                            .map(info -> new TopicPartition(topic, info.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "could not read " + topic + " to its end in 5 minutes");
                }
                consumer.poll(Duration.ofMillis(500)).forEach(action);
            }
        }
    }

    private static Letter toLetter(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> original = new LinkedHashMap<>();
        Map<String, String> own = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            String value =
                    header.value() == null
                            ? ""
                            : new String(header.value(), StandardCharsets.UTF_8);
            (header.key().startsWith("dead-letter-") ? own : original).put(header.key(), value);
        }
        return new Letter(
                record.partition(),
                record.offset(),
                Instant.ofEpochMilli(record.timestamp()),
                own.get(ImageHeaders.DEAD_LETTER_REASON),
                own.get(ImageHeaders.DEAD_LETTER_STAGE),
                own.get(ImageHeaders.DEAD_LETTER_MESSAGE),
                own.get(ImageHeaders.DEAD_LETTER_IMAGE_ID),
                own.get(ImageHeaders.DEAD_LETTER_ORIGIN),
                own.get(ImageHeaders.DEAD_LETTER_OMITTED),
                original,
                record.value() == null ? new byte[0] : record.value());
    }

    private static byte[] utf8(String value) {
        return value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
    }
}
