package org.imagestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.KafkaServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.Ports;

/**
 * What one local broker spends per image of the end-to-end mix in the ways the end-to-end harness
 * feeds it: only read (a topic written before, as in its pre-loaded arms' windows), written in
 * bulk, written by a paced producer, and written by a paced producer while readers tail the topic
 * (its latency runs), and the last with fetches that wait for more bytes. Broker CPU per image and
 * per MB, split into user and kernel time and with its JIT compilers' share ({@code /proc}), arms
 * rotated per round on one broker; topics are deleted between rounds, outside every arm. With
 * {@code --profile true} the last round's tailed arm is sampled by async-profiler. Run: {@code mvn
 * -q test-compile exec:exec@broker-bench -Dbench.args="--rate 170 --seconds 15 --rounds 3"}.
 */
public final class BrokerIngestBenchmark {
    private static final int PARTITIONS = 2;

    /** The broker's file.delete.delay.ms (Kafka's default; LocalStack leaves it). */
    private static final long DELETE_DELAY_MILLIS = 60_000;

    /** Fetches that wait for a few images' bytes, as session 36's F runs gave the job. */
    private static final Map<String, String> FETCHING_MORE =
            Map.of(
                    ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "262144",
                    ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");

    private enum Arm {
        READ("read only (written before)"),
        BULK("bulk write"),
        PACED("paced write"),
        TAILED("paced write, readers tailing"),
        TAILED_FETCHING_MORE(
                "paced write, readers tailing with fetch.min.bytes 256 KiB, fetch.max.wait.ms 20");

        final String label;

        Arm(String label) {
            this.label = label;
        }
    }

    private BrokerIngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        double rate = Double.parseDouble(StorageBenchmark.stringArg(args, "--rate", "170"));
        int seconds = StorageBenchmark.intArg(args, "--seconds", 20);
        int rounds = StorageBenchmark.intArg(args, "--rounds", 2);
        boolean profile =
                Boolean.parseBoolean(StorageBenchmark.stringArg(args, "--profile", "false"));
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
                                + " = all (of which JIT) | ms/MB |\n|---|---|---|---|---|\n");
        String profileSummary = "";
        // LocalStack's broker heap, as in the end-to-end harness.
        try (KafkaServer kafka =
                        KafkaServer.start(libs, work.resolve("kafka"), Ports.free(), "256m");
                Admin admin =
                        Admin.create(
                                Map.of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        kafka.bootstrapServers()))) {
            for (int round = 1; round <= rounds; round++) {
                List<Arm> order = new ArrayList<>(List.of(Arm.values()));
                Collections.rotate(order, round - 1);
                for (Arm arm : order) {
                    String topic = "ingest-" + round + "-" + arm.name().toLowerCase(Locale.ROOT);
                    LocalStack.createTopics(kafka.bootstrapServers(), PARTITIONS, topic);
                    if (arm == Arm.READ) {
                        publish(kafka, topic, items, images, 0);
                        Thread.sleep(3_000);
                    }
                    CpuProfile profiler =
                            profile && arm == Arm.TAILED && round == rounds
                                    ? CpuProfile.ofProcess(kafka.pid())
                                    : null;
                    String row;
                    try {
                        if (profiler != null) {
                            Thread.sleep(2_000);
                            profiler.start();
                        }
                        row = measure(kafka, arm, topic, items, images, rate, round);
                    } finally {
                        if (profiler != null) {
                            profileSummary = profiler.stop(work, "broker-tailed");
                        }
                    }
                    System.out.print(row);
                    table.append(row);
                }
                // A round writes about 3 GB. The broker removes a deleted topic's files a minute
                // later (file.delete.delay.ms), which costs it kernel time: delete between rounds
                // and wait that out, so no arm pays for an earlier one's removal.
                admin.deleteTopics(admin.listTopics().names().get()).all().get();
                Thread.sleep(DELETE_DELAY_MILLIS + 10_000);
            }
        }
        long mixBytes = items.stream().mapToLong(item -> item.bytes().length).sum();
        System.out.printf(
                Locale.ROOT,
                "%n%d images of the end-to-end mix per arm (%.0f KB each on average), paced arms"
                        + " at %.0f images/s, %d partitions, one local broker (heap 256"
                        + " MiB):%n%n%s%n%s",
                images,
                mixBytes / 1e3 / items.size(),
                rate,
                PARTITIONS,
                table,
                profileSummary);
    }

    /** One arm: the broker's CPU from the first record written or read to the last one read. */
    private static String measure(
            KafkaServer kafka,
            Arm arm,
            String topic,
            List<Item> items,
            int images,
            double rate,
            int round)
            throws Exception {
        Map<String, String> fetch = arm == Arm.TAILED_FETCHING_MORE ? FETCHING_MORE : Map.of();
        boolean read = arm == Arm.READ || arm == Arm.TAILED || arm == Arm.TAILED_FETCHING_MORE;
        long pid = kafka.pid();
        long[] ticksBefore = CpuProfile.userAndKernelTicks(pid);
        Map<Long, Long> compilersBefore = CpuProfile.compilerTicks(pid);
        long started = System.nanoTime();
        long bytes;
        try (Readers readers = read ? new Readers(kafka.bootstrapServers(), topic, fetch) : null) {
            if (arm == Arm.READ) {
                bytes = readers.awaitBytes(images);
            } else {
                bytes = publish(kafka, topic, items, images, arm == Arm.BULK ? 0 : rate);
                if (readers != null) {
                    readers.awaitBytes(images);
                }
            }
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        long[] ticksAfter = CpuProfile.userAndKernelTicks(pid);
        double jit = CpuProfile.compilerSeconds(compilersBefore, CpuProfile.compilerTicks(pid));
        double user = (ticksAfter[0] - ticksBefore[0]) / 100.0;
        double kernel = (ticksAfter[1] - ticksBefore[1]) / 100.0;
        return String.format(
                Locale.ROOT,
                "| %d | %s | %.1f | %.2f + %.2f = %.2f (%.2f) | %.2f |%n",
                round,
                arm.label,
                images / elapsed,
                user * 1000 / images,
                kernel * 1000 / images,
                (user + kernel) * 1000 / images,
                jit * 1000 / images,
                (user + kernel) * 1000 / (bytes / 1e6));
    }

    /** Publishes {@code count} images, as fast as it can ({@code rate} 0) or paced; bytes sent. */
    private static long publish(
            KafkaServer kafka, String topic, List<Item> items, int count, double rate)
            throws Exception {
        long bytes = 0;
        Pace pace = Pace.steady(rate);
        long started = System.nanoTime();
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(kafka.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                pace.awaitTurn(started, i);
                Item item = items.get(i % items.size());
                bytes += item.bytes().length;
                item.publish(publisher, topic);
            }
            publisher.flush();
        }
        return bytes;
    }

    /**
     * One reader thread per partition, each with the partition assigned and no offset commits, as
     * the job's Kafka source reads (fetches of at least one byte, the job's largest fetch per
     * partition) unless {@code overrides} say otherwise; from the topic's start.
     */
    private static final class Readers implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong valueBytes = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stopped;

        Readers(String bootstrapServers, String topic, Map<String, String> overrides) {
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
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
            for (int partition = 0; partition < PARTITIONS; partition++) {
                TopicPartition assigned = new TopicPartition(topic, partition);
                Thread thread = new Thread(() -> read(properties, assigned), "reader-" + partition);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void read(Properties properties, TopicPartition partition) {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties)) {
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                while (!stopped) {
                    for (var record : consumer.poll(Duration.ofMillis(100))) {
                        valueBytes.addAndGet(record.value().length);
                        records.incrementAndGet();
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        /** Waits (at most a minute) until {@code count} records have arrived; their bytes. */
        long awaitBytes(int count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (records.get() < count
                    && failure.get() == null
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a reader failed", failure.get());
            }
            if (records.get() < count) {
                throw new IllegalStateException(
                        "only " + records.get() + " of " + count + " records arrived in a minute");
            }
            return valueBytes.get();
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }
}
