package org.imagestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.localstack.Commands;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The produce command against a real broker: folders, globs, detection, skips and failures. */
@ExtendWith(LocalStackExtension.class)
class ProduceCommandITCase {
    @Test
    void shouldPublishEveryImageOfAFolderWithItsDetectedDomain(
            LocalStack stack, @TempDir Path folder) throws Exception {
        String topic = "produce-" + UUID.randomUUID();
        stack.createTopics(1, topic);
        Random random = new Random(4);
        Path nested = Files.createDirectories(folder.resolve("a/b"));
        List<SampleImages.Sample> samples = new ArrayList<>();
        for (Domain domain : Domain.values()) {
            SampleImages.Sample sample = SampleImages.generate(domain, 0, random);
            samples.add(sample);
            Files.write(
                    (domain == Domain.MEDICAL ? nested : folder).resolve(sample.fileName()),
                    sample.bytes());
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        Files.write(folder.resolve("huge.png"), new byte[300_000]);

        CliRun output =
                produce(
                        stack,
                        topic,
                        "--max-bytes",
                        "200000",
                        "--header",
                        "campaign=it",
                        folder.toString());
        assertThat(output.exitCode()).isZero();
        assertThat(output.text())
                .contains("sent 3, skipped 2, failed 0 of 5 file(s)")
                .contains("not a recognised image format")
                .contains("larger than --max-bytes");

        List<ConsumerRecord<byte[], byte[]>> records = consume(stack.bootstrapServers(), topic, 3);
        assertThat(records).hasSize(3);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            String domain = header(record, ImageHeaders.DOMAIN);
            SampleImages.Sample sent =
                    samples.stream()
                            .filter(s -> s.domain().id().equals(domain))
                            .findFirst()
                            .orElseThrow();
            assertThat(record.value()).isEqualTo(sent.bytes());
            assertThat(header(record, ImageHeaders.CONTENT_TYPE)).isEqualTo(sent.contentType());
            assertThat(header(record, ImageHeaders.SOURCE_ID)).endsWith(sent.fileName());
            assertThat(header(record, "campaign")).isEqualTo("it");
            assertThat(java.time.Instant.parse(header(record, ImageHeaders.CAPTURE_TIME)))
                    .isBefore(java.time.Instant.now());
        }

        CliRun glob = produce(stack, topic, folder + "/**/*.dcm");
        assertThat(glob.text()).contains("sent 1, skipped 0, failed 0 of 1 file(s)");
    }

    @Test
    void shouldExitNonZeroWithTheReasonWhenSendsFail(LocalStack stack, @TempDir Path folder)
            throws Exception {
        SampleImages.Sample sample = SampleImages.generate(Domain.SOCIAL, 0, new Random(1));
        Files.write(folder.resolve(sample.fileName()), sample.bytes());
        Path properties = folder.resolve("client.properties");
        Files.writeString(properties, "max.block.ms=2000\n");
        CliRun output =
                CliRun.of(
                        "produce",
                        "--bootstrap-servers",
                        stack.bootstrapServers(),
                        "--kafka-properties",
                        properties.toString(),
                        "--topic",
                        "no-such-topic-" + UUID.randomUUID(),
                        "--no-progress",
                        folder.resolve(sample.fileName()).toString());
        assertThat(output.exitCode()).isEqualTo(1);
        assertThat(output.text()).contains("failed 1").contains("failed 1: ");
    }

    /**
     * Images of tens of KB share producer batches: Kafka's own log dump (DumpLogSegments, run with
     * the broker's jars) counts the records of every batch the broker stored. With Kafka's default
     * 16 KiB batches each of these images was a batch of its own. The publisher does not linger:
     * batches form because it keeps one request in flight, so the images read while a request is
     * out go together in the next one.
     */
    @Test
    void shouldSendSeveralImagesPerBatch(LocalStack stack, @TempDir Path folder) throws Exception {
        String topic = "produce-batches-" + UUID.randomUUID();
        stack.createTopics(1, topic);
        int images = 24;
        Random random = new Random(7);
        for (int i = 0; i < images; i++) {
            SampleImages.Sample sample = SampleImages.generate(Domain.SOCIAL, i, random);
            // Bytes after a JPEG's end marker: a 64 KB file, far over the default batch size.
            byte[] padded = Arrays.copyOf(sample.bytes(), 64 * 1024);
            Files.write(folder.resolve(i + "-" + sample.fileName()), padded);
        }
        CliRun output = produce(stack, topic, folder.toString());
        assertThat(output.text()).contains("sent " + images + ", skipped 0, failed 0");

        Path segment =
                stack.workDirectory()
                        .resolve("kafka/data/" + topic + "-0/00000000000000000000.log");
        Path libs = LocalStack.libRoot().resolve("kafka/lib");
        Path dump = folder.resolve("dump-log-segments.txt");
        // Fails with the tool's output if it exits non-zero or runs past the timeout.
        Commands.run(
                List.of(
                        Commands.javaLauncher(),
                        "-cp",
                        libs.toAbsolutePath() + "/*",
                        "kafka.tools.DumpLogSegments",
                        "--files",
                        segment.toString()),
                dump,
                Duration.ofMinutes(2),
                "Kafka log dump");
        String text = Files.readString(dump);
        List<Integer> counts = new ArrayList<>();
        Matcher batch = Pattern.compile(" count: (\\d+) ").matcher(text);
        while (batch.find()) {
            counts.add(Integer.parseInt(batch.group(1)));
        }
        assertThat(counts.stream().mapToInt(Integer::intValue).sum()).as(text).isEqualTo(images);
        assertThat(counts.size()).as(text).isLessThan(images);
    }

    /** The {@code produce} command to the stack's broker, without progress output. */
    private static CliRun produce(LocalStack stack, String topic, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "produce",
                                "--bootstrap-servers",
                                stack.bootstrapServers(),
                                "--topic",
                                topic,
                                "--no-progress"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(
            String bootstrap, String topic, int expected) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "produce-it-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 20_000;
            while (records.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
            }
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        return records;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
