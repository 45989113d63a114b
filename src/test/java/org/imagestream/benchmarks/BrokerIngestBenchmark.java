package org.imagestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * per MB, split into user and kernel time and with its JIT compilers' share ({@code /proc}), and in
 * the tailed arms how long each record took from its send to a reader's poll ({@link TopicReaders}:
 * the Kafka hop alone, with nothing else on the cores), arms rotated per round on one broker;
 * topics are deleted between rounds, outside every arm. With {@code --profile true} the last
 * round's tailed arm is sampled by async-profiler. Run: {@code mvn -q test-compile
 * exec:exec@broker-bench -Dbench.args="--rate 170 --seconds 15 --rounds 3"}.
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
                                + " = all (of which JIT) | ms/MB | send to a tailing reader's"
                                + " poll |\n|---|---|---|---|---|---|\n");
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
        long startedMillis = System.currentTimeMillis();
        long bytes;
        TopicReaders readers =
                read ? new TopicReaders(kafka.bootstrapServers(), topic, PARTITIONS, fetch) : null;
        try (readers) {
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
        // How long the tailing readers saw each record after its send (a written-before topic's
        // records were sent before the arm).
        String hops =
                arm == Arm.TAILED || arm == Arm.TAILED_FETCHING_MORE
                        ? readers.hops().describe(startedMillis, (int) Math.ceil(images / rate))
                        : "";
        return String.format(
                Locale.ROOT,
                "| %d | %s | %.1f | %.2f + %.2f = %.2f (%.2f) | %.2f | %s |%n",
                round,
                arm.label,
                images / elapsed,
                user * 1000 / images,
                kernel * 1000 / images,
                (user + kernel) * 1000 / images,
                jit * 1000 / images,
                (user + kernel) * 1000 / (bytes / 1e6),
                hops);
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
}
