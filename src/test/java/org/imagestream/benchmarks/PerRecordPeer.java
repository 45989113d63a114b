package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.benchmarks.EndToEndBenchmark.Services;
import org.imagestream.benchmarks.EndToEndBenchmark.Throughput;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DecodedPixels;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.decode.TfJpegDecoder;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.Prediction;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.model.Classification;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultStatements;

/** The per-record peer of the end-to-end benchmark ({@link EndToEndBenchmark}). */
final class PerRecordPeer {
    private PerRecordPeer() {}

    /**
     * The measured records' throughput and CPU snapshots, and every row stored, warm-up ones too.
     */
    record Run(
            Throughput throughput,
            Processes.Snapshot before,
            Processes.Snapshot after,
            long storedRows) {}

    /**
     * The common per-record pattern: poll, decode, {@code Session.run} on one image, then write
     * synchronously (every blob chunk, the blob row, the result row, the listing row); over {@code
     * warmup} records of the topic, then the measured ones (whose ids {@code sizes} holds).
     */
    static Run run(
            Services stack,
            Map<Domain, ModelSpec> specs,
            String topic,
            String keyspace,
            int warmup,
            Map<String, Integer> sizes,
            Processes processes)
            throws Exception {
        int count = warmup + sizes.size();
        Processes.Snapshot before = null;
        CassandraSettings settings = EndToEndBenchmark.settings(stack, keyspace);
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "peer-" + keyspace);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        // As the job's source reads (committed records only), like for like.
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<Domain, SavedModelClassifier> classifiers = new EnumMap<>(Domain.class);
        long started = System.nanoTime();
        int done = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(
                                properties,
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer());
                CqlSession session = settings.openSession();
                TfJpegDecoder jpeg = new TfJpegDecoder()) {
            CassandraSchema.create(session, settings);
            ResultStatements statements = new ResultStatements(session, settings.keyspace());
            for (Map.Entry<Domain, ModelSpec> spec : specs.entrySet()) {
                classifiers.put(spec.getKey(), SavedModelClassifier.open(spec.getValue()));
            }
            consumer.subscribe(List.of(topic));
            Map<String, String> measuredIds = new HashMap<>();
            sizes.keySet()
                    .forEach(
                            id ->
                                    measuredIds.put(
                                            id.contains("@")
                                                    ? id.substring(0, id.indexOf('@'))
                                                    : id,
                                            id));
            List<long[]> times = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            started = System.nanoTime();
            while (done < count) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    if (done >= count) {
                        break;
                    }
                    if (done == warmup) {
                        before = processes.snapshot();
                        started = System.nanoTime();
                    }
                    Domain domain = Domain.fromId(header(record, ImageHeaders.DOMAIN));
                    ModelSpec spec = specs.get(domain);
                    DecodedPixels pixels =
                            ImageDecoders.decode(
                                    domain,
                                    record.value(),
                                    spec.modelInput(),
                                    DecodeLimits.DEFAULT,
                                    jpeg);
                    Prediction prediction =
                            classifiers.get(domain).classify(List.of(pixels.pixels())).get(0);
                    Classification result = new Classification();
                    // The peer's own id (its rows are compared by count, not id).
                    result.imageId =
                            record.topic() + "-" + record.partition() + "-" + record.offset();
                    result.domain = domain.id();
                    result.sourceId = header(record, ImageHeaders.SOURCE_ID);
                    result.contentType = header(record, ImageHeaders.CONTENT_TYPE);
                    result.contentSha256 =
                            org.apache.commons.codec.digest.DigestUtils.sha256Hex(record.value());
                    result.modelName = spec.name();
                    result.modelVersion = spec.version();
                    result.labels = new ArrayList<>(prediction.labels());
                    result.scores = new ArrayList<>(prediction.scores());
                    result.width = pixels.originalWidth();
                    result.height = pixels.originalHeight();
                    result.receivedAtMillis = record.timestamp();
                    result.classifiedAtMillis = System.currentTimeMillis();
                    result.extras = new HashMap<>(pixels.extras());
                    byte[] bytes = record.value();
                    int chunks =
                            Math.max(
                                    1,
                                    (bytes.length + settings.chunkSize() - 1)
                                            / settings.chunkSize());
                    for (int i = 0; i < chunks; i++) {
                        int from = i * settings.chunkSize();
                        int to = Math.min(bytes.length, from + settings.chunkSize());
                        session.execute(
                                statements.chunk(
                                        result.contentSha256,
                                        i,
                                        ByteBuffer.wrap(Arrays.copyOfRange(bytes, from, to)),
                                        0));
                    }
                    session.execute(
                            statements.blob(
                                    result.contentSha256,
                                    bytes.length,
                                    settings.chunkSize(),
                                    chunks,
                                    result.contentType,
                                    null,
                                    0));
                    session.execute(statements.result(result, 0));
                    session.execute(statements.byLabel(result, 0));
                    // The measured images' ids carry the topic id ("@..."), the peer's do not.
                    String measured = measuredIds.get(result.imageId);
                    if (measured != null) {
                        times.add(new long[] {System.nanoTime() / 1000, record.timestamp()});
                        ids.add(measured);
                    }
                    done++;
                }
            }
            double wall = (System.nanoTime() - started) / 1e9;
            Throughput throughput = EndToEndBenchmark.window(times, ids, sizes, wall);
            System.out.printf("peer: %.1f img/s%n", throughput.imagesPerSecond());
            return new Run(throughput, before, processes.snapshot(), done);
        } finally {
            classifiers.values().forEach(SavedModelClassifier::close);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
