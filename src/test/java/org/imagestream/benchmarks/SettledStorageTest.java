package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettledStorageTest {
    private static final String JVM = "benchmark JVM (Flink job, producer)";
    private static final Processes.Snapshot ZERO = snapshot(0, 0, 0);

    @Test
    void shouldChargeEachArmItsSettledNodeInsteadOfItsWindowsNode() {
        // Windows: the job 1,000 rows (JVM 10 ms, Kafka 1, Cassandra 4 per image), the second run
        // 500 rows (4, 0.2, 3), the peer 500 images (8, 0.5, 2); the peer stored 750 rows.
        String lines =
                SettledStorage.lines(
                        processes(),
                        job(110),
                        new EndToEndBenchmark.ProfiledRun(
                                "",
                                ZERO,
                                snapshot(2, 0.1, 1.5),
                                500,
                                new EndToEndBenchmark.Throughput(200, 0, 0),
                                new SettledStorage.Settled(14, 0, 5),
                                2000),
                        peer(),
                        new SettledStorage.Settled(7.5, 0, 2),
                        500,
                        5.0,
                        2);

        // By hand: settled Cassandra 60 s / 10,000 rows = 6 ms (job), 14 / 2,000 = 7 (second
        // run), 7.5 / 750 = 10 (peer); job 10 + 1 + 6 = 17, second run 4 + 0.2 + 7 = 11.2, peer
        // 8 + 0.5 + 10 = 18.5; parts 5 + 10 + 0.5 = 15.5 ms, 2 cores / 15.5 ms = 129.03 img/s;
        // 17 / 18.5 = 0.919, 11.2 / 18.5 = 0.605, 110 / 129.03 = 0.8525, 200 / 129.03 = 1.55.
        assertThat(lines)
                .contains(
                        "- job, Cassandra settled (from the arm's start to its keyspace flushed"
                                + " and compacted, 12.5 s of that after the arm): 60.0 CPU s for"
                                + " 10000 rows = 6.0 ms/image (of which JIT compilers 0.3),"
                                + " against 4.0 in its window\n")
                .contains(
                        "- job, second run, Cassandra settled (from the arm's start to its"
                                + " keyspace flushed and compacted, 5.0 s of that after the arm):"
                                + " 14.0 CPU s for 2000 rows = 7.0 ms/image (of which JIT"
                                + " compilers 0.0), against 3.0 in its window\n")
                .contains(
                        "- peer, Cassandra settled (from the arm's start to its keyspace flushed"
                                + " and compacted, 2.0 s of that after the arm): 7.5 CPU s for 750"
                                + " rows = 10.0 ms/image (of which JIT compilers 0.0), against 2.0"
                                + " in its window\n")
                .contains(
                        "sum-of-parts bound 2 cores / (floor 5.0 + Cassandra 10.0 + Kafka 0.5"
                                + " ms/image = 15.5) = 129 img/s; job: job / peer CPU per image"
                                + " 17.0 / 18.5 = 0.92, job / bound 0.85; job, second run: job /"
                                + " peer CPU per image 11.2 / 18.5 = 0.61, job / bound 1.55\n");
    }

    @Test
    void shouldGiveTheFirstArmAloneWithoutASecondRun() {
        String lines =
                SettledStorage.lines(
                        processes(),
                        job(110),
                        null,
                        peer(),
                        new SettledStorage.Settled(7.5, 0, 2),
                        500,
                        5.0,
                        2);

        assertThat(lines).doesNotContain("second run");
        assertThat(lines.lines()).hasSize(3);
        assertThat(lines)
                .endsWith(
                        "= 129 img/s; job: job / peer CPU per image 17.0 / 18.5 = 0.92, job /"
                                + " bound 0.85\n");
    }

    private static Processes processes() {
        return new Processes(new EndToEndBenchmark.Services("k", "c", null), null);
    }

    private static EndToEndBenchmark.ProfiledRun job(double imagesPerSecond) {
        return new EndToEndBenchmark.ProfiledRun(
                "",
                ZERO,
                snapshot(10, 1, 4),
                1000,
                new EndToEndBenchmark.Throughput(imagesPerSecond, 0, 0),
                new SettledStorage.Settled(60, 3, 12.5),
                10_000);
    }

    private static PerRecordPeer.Run peer() {
        return new PerRecordPeer.Run(
                new EndToEndBenchmark.Throughput(50, 0, 0), ZERO, snapshot(4, 0.25, 1), 750);
    }

    /** CPU seconds of the three processes, no JIT compiler threads, no thread samples. */
    private static Processes.Snapshot snapshot(double jvm, double kafka, double cassandra) {
        return new Processes.Snapshot(
                Map.of(
                        JVM,
                        new double[] {jvm, 0},
                        "Kafka",
                        new double[] {kafka, 0},
                        "Cassandra",
                        new double[] {cassandra, 0}),
                Map.of(),
                Map.of(),
                0,
                0,
                new long[0]);
    }
}
