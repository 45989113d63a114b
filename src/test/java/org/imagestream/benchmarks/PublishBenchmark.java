package org.imagestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.KafkaServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.Ports;

/**
 * Bulk publishing through {@link ImagePublisher} (what the {@code produce} command does with a
 * folder) as it is, with the 5 ms {@code linger.ms} it had before session 28, and with Kafka's
 * default 16 KiB batches (and the publisher's linger), in an order rotated per round on one local
 * broker: images/s and the broker's and this JVM's CPU per image ({@code /proc}). Each arm
 * publishes to a fresh topic. Run: {@code mvn -q test-compile exec:exec@publish-bench
 * -Dbench.args="--images 2000 --rounds 3"} (rounds in multiples of three, so each arm runs first as
 * often as the others).
 */
public final class PublishBenchmark {
    /** A way to publish: producer settings over ImagePublisher's own. */
    private record Arm(String label, String topicSuffix, Map<String, String> overrides) {}

    private static final List<Arm> ARMS =
            List.of(
                    new Arm("ImagePublisher's own", "publisher", Map.of()),
                    new Arm(
                            "ImagePublisher's, linger.ms 5 (before session 28)",
                            "linger5",
                            Map.of(ProducerConfig.LINGER_MS_CONFIG, "5")),
                    new Arm(
                            "Kafka's default batches (16 KiB), linger.ms 0",
                            "batch16k",
                            Map.of(ProducerConfig.BATCH_SIZE_CONFIG, "16384")));

    private PublishBenchmark() {}

    public static void main(String[] args) throws Exception {
        int images = StorageBenchmark.intArg(args, "--images", 2000);
        int rounds = StorageBenchmark.intArg(args, "--rounds", 3);
        int partitions = StorageBenchmark.intArg(args, "--partitions", 2);
        // Incompressible bytes of photo-like sizes (the producer does not compress; Kafka does
        // not look inside a record).
        Random random = new Random(1);
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] bytes = new byte[100_000 + random.nextInt(200_000)];
            random.nextBytes(bytes);
            payloads.add(bytes);
        }
        Path libs = LocalStack.libRoot().resolve("kafka/lib");
        Path work = Files.createDirectories(Path.of("target/bench-work/publish"));
        // As LocalStack does: an earlier run's log carries another cluster id.
        FileUtils.deleteDirectory(work.resolve("kafka").resolve("data").toFile());
        long self = ProcessHandle.current().pid();
        StringBuilder table =
                new StringBuilder(
                        "| round | producer batches | images/s | broker CPU ms/image | publishing"
                                + " JVM CPU ms/image |\n|---|---|---|---|---|\n");
        try (KafkaServer kafka =
                KafkaServer.start(libs, work.resolve("kafka"), Ports.free(), "512m")) {
            for (int round = 1; round <= rounds; round++) {
                // Rotated, so no arm always runs on the warmer broker.
                List<Arm> order = new ArrayList<>(ARMS);
                Collections.rotate(order, round - 1);
                for (Arm arm : order) {
                    String topic = "publish-" + round + "-" + arm.topicSuffix();
                    LocalStack.createTopics(kafka.bootstrapServers(), partitions, topic);
                    Properties properties = new Properties();
                    properties.put(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
                    properties.putAll(arm.overrides());
                    double brokerBefore = CpuProfile.cpuSeconds(kafka.pid());
                    double selfBefore = CpuProfile.cpuSeconds(self);
                    long started = System.nanoTime();
                    try (ImagePublisher publisher = new ImagePublisher(properties)) {
                        for (int i = 0; i < images; i++) {
                            publisher.publish(
                                    topic,
                                    "social",
                                    "image-" + i + ".jpg",
                                    "image/jpeg",
                                    payloads.get(i % payloads.size()));
                        }
                        publisher.flush();
                    }
                    double seconds = (System.nanoTime() - started) / 1e9;
                    String row =
                            String.format(
                                    Locale.ROOT,
                                    "| %d | %s | %.0f | %.2f | %.2f |%n",
                                    round,
                                    arm.label(),
                                    images / seconds,
                                    (CpuProfile.cpuSeconds(kafka.pid()) - brokerBefore)
                                            * 1000
                                            / images,
                                    (CpuProfile.cpuSeconds(self) - selfBefore) * 1000 / images);
                    System.out.print(row);
                    table.append(row);
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nbulk publish of %d images of 100-300 KB, %d partitions, one broker:%n%n%s",
                images,
                partitions,
                table);
    }
}
