package org.imagestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.KafkaServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.Ports;

/**
 * What one local broker spends per image of the end-to-end mix in the four ways the end-to-end
 * harness feeds it: only read (a topic written before, as in its pre-loaded arms' windows), written
 * in bulk, written by a paced producer, and written by a paced producer while a consumer tails the
 * topic (its latency runs), and the last with fetches that wait for more bytes. Broker CPU per
 * image and per MB, split into user and kernel time ({@code /proc}), arms rotated per round on one
 * broker. With {@code --profile true} the last round's tailed arm is sampled by async-profiler.
 * Run: {@code mvn -q test-compile exec:exec@broker-bench -Dbench.args="--rate 170 --seconds 20
 * --rounds 2"}.
 */
public final class BrokerIngestBenchmark {
    private enum Arm {
        READ("read only (written before)"),
        BULK("bulk write"),
        PACED("paced write"),
        TAILED("paced write, consumer tailing"),
        TAILED_FETCHING_MORE(
                "paced write, consumer tailing with fetch.min.bytes 256 KiB, fetch.max.wait.ms 20");

        final String label;

        Arm(String label) {
            this.label = label;
        }
    }

    /** User and kernel CPU seconds of a process so far (/proc stat fields 14 and 15). */
    private record Cpu(double user, double kernel) {
        static Cpu of(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new Cpu(Long.parseLong(fields[11]) / 100.0, Long.parseLong(fields[12]) / 100.0);
        }

        Cpu minus(Cpu earlier) {
            return new Cpu(user - earlier.user, kernel - earlier.kernel);
        }
    }

    /** Fetches that wait for a few images' bytes, as session 36's F runs gave the job. */
    private static final Properties FETCHING_MORE = new Properties();

    static {
        FETCHING_MORE.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "262144");
        FETCHING_MORE.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
    }

    private BrokerIngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        double rate = StorageBenchmark.intArg(args, "--rate", 170);
        int seconds = StorageBenchmark.intArg(args, "--seconds", 20);
        int rounds = StorageBenchmark.intArg(args, "--rounds", 2);
        boolean profile =
                List.of(args).contains("--profile")
                        && args[List.of(args).indexOf("--profile") + 1].equals("true");
        int images = (int) (rate * seconds);
        // The end-to-end mix, cycled: the broker does not look inside a record.
        List<Item> items = new Mix(new Random(42)).items(400);
        Path libs = LocalStack.libRoot().resolve("kafka/lib");
        Path work = Files.createDirectories(Path.of("target/bench-work/broker-ingest"));
        // As LocalStack does: an earlier run's log carries another cluster id.
        FileUtils.deleteDirectory(work.resolve("kafka").resolve("data").toFile());
        StringBuilder table =
                new StringBuilder(
                        "| round | broker fed by | images/s | broker CPU ms/image: user + kernel"
                                + " = all | ms/MB |\n|---|---|---|---|---|\n");
        String profileSummary = "";
        // LocalStack's broker heap, as in the end-to-end harness.
        try (KafkaServer kafka =
                KafkaServer.start(libs, work.resolve("kafka"), Ports.free(), "256m")) {
            for (int round = 1; round <= rounds; round++) {
                List<Arm> order = new ArrayList<>(List.of(Arm.values()));
                Collections.rotate(order, round - 1);
                for (Arm arm : order) {
                    String topic = "ingest-" + round + "-" + arm.name().toLowerCase(Locale.ROOT);
                    LocalStack.createTopics(kafka.bootstrapServers(), 2, topic);
                    if (arm == Arm.READ) {
                        publish(kafka, topic, items, images, 0);
                        Thread.sleep(3_000);
                    }
                    CpuProfile profiler = null;
                    if (profile && arm == Arm.TAILED && round == rounds) {
                        profiler = CpuProfile.ofProcess(kafka.pid());
                        Thread.sleep(2_000);
                        profiler.start();
                    }
                    Consumer consumer =
                            switch (arm) {
                                case READ, TAILED ->
                                        new Consumer(
                                                kafka.bootstrapServers(), topic, new Properties());
                                case TAILED_FETCHING_MORE ->
                                        new Consumer(
                                                kafka.bootstrapServers(), topic, FETCHING_MORE);
                                default -> null;
                            };
                    Cpu before = Cpu.of(kafka.pid());
                    long started = System.nanoTime();
                    long bytes;
                    if (arm == Arm.READ) {
                        bytes = consumer.start().awaitBytes(images);
                    } else {
                        if (consumer != null) {
                            consumer.start();
                        }
                        bytes = publish(kafka, topic, items, images, arm == Arm.BULK ? 0 : rate);
                        if (consumer != null) {
                            consumer.awaitBytes(images);
                        }
                    }
                    double elapsed = (System.nanoTime() - started) / 1e9;
                    Cpu used = Cpu.of(kafka.pid()).minus(before);
                    if (consumer != null) {
                        consumer.close();
                    }
                    if (profiler != null) {
                        profileSummary = profiler.stop(work, "broker-tailed");
                    }
                    double all = used.user() + used.kernel();
                    String row =
                            String.format(
                                    Locale.ROOT,
                                    "| %d | %s | %.1f | %.2f + %.2f = %.2f | %.2f |%n",
                                    round,
                                    arm.label,
                                    images / elapsed,
                                    used.user() * 1000 / images,
                                    used.kernel() * 1000 / images,
                                    all * 1000 / images,
                                    all * 1000 / (bytes / 1e6));
                    System.out.print(row);
                    table.append(row);
                }
            }
        }
        long mixBytes = items.stream().mapToLong(item -> item.bytes().length).sum();
        System.out.printf(
                Locale.ROOT,
                "%n%d images of the end-to-end mix per arm (%.0f KB each on average), paced arms"
                        + " at %.0f images/s, 2 partitions, one local broker (heap 256 MiB):%n%n%s%n%s",
                images,
                mixBytes / 1e3 / items.size(),
                rate,
                table,
                profileSummary);
    }

    /** Publishes {@code count} images, as fast as it can ({@code rate} 0) or paced; bytes sent. */
    private static long publish(
            KafkaServer kafka, String topic, List<Item> items, int count, double rate)
            throws Exception {
        long bytes = 0;
        long started = System.nanoTime();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(kafka.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                if (rate > 0) {
                    long wait = started + (long) (i * 1e9 / rate) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                Item item = items.get(i % items.size());
                bytes += item.bytes().length;
                item.publish(publisher, topic);
            }
            publisher.flush();
        }
        return bytes;
    }

    /**
     * A consumer thread reading the topic from its start with the client's defaults (as the job's
     * source does, fetches of at least one byte) and the job's largest fetch per partition, unless
     * {@code overrides} say otherwise.
     */
    private static final class Consumer implements AutoCloseable {
        private final Thread thread;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong valueBytes = new AtomicLong();

        Consumer(String bootstrapServers, String topic, Properties overrides) {
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, "broker-bench-" + topic);
            properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            properties.put(
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                    Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
            properties.put(
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            properties.put(
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            properties.putAll(overrides);
            thread =
                    new Thread(
                            () -> {
                                try (KafkaConsumer<byte[], byte[]> consumer =
                                        new KafkaConsumer<>(properties)) {
                                    consumer.subscribe(List.of(topic));
                                    while (!stop.get()) {
                                        for (var record : consumer.poll(Duration.ofMillis(100))) {
                                            valueBytes.addAndGet(record.value().length);
                                            records.incrementAndGet();
                                        }
                                    }
                                }
                            },
                            "broker-bench-consumer");
        }

        Consumer start() {
            thread.start();
            return this;
        }

        /** Waits (at most a minute) until {@code count} records have arrived; their bytes. */
        long awaitBytes(int count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (records.get() < count && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            if (records.get() < count) {
                throw new IllegalStateException(
                        "only " + records.get() + " of " + count + " records arrived in a minute");
            }
            return valueBytes.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }
}
