package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettledStorageTest {
    private static final String JVM = "benchmark JVM (Flink job, producer)";

    @Test
    void shouldChargeEachArmItsSettledNodeInsteadOfItsWindowsNode() {
        Processes processes = new Processes(new EndToEndBenchmark.Services("k", "c", null), null);
        Processes.Snapshot zero = snapshot(0, 0, 0);
        // Windows: the job 1,000 rows (JVM 10 ms, Kafka 1, Cassandra 4 per image), the second run
        // 500 rows (4, 0.2, 3), the peer 500 images (8, 1, 2).
        EndToEndBenchmark.ProfiledRun job =
                new EndToEndBenchmark.ProfiledRun(
                        "",
                        zero,
                        snapshot(10, 1, 4),
                        1000,
                        new EndToEndBenchmark.Throughput(100, 0, 0),
                        new SettledStorage.Settled(60, 3, 12.5),
                        10_000);
        EndToEndBenchmark.ProfiledRun again =
                new EndToEndBenchmark.ProfiledRun(
                        "",
                        zero,
                        snapshot(2, 0.1, 1.5),
                        500,
                        new EndToEndBenchmark.Throughput(200, 0, 0),
                        new SettledStorage.Settled(14, 0, 5),
                        2000);
        PerRecordPeer.Run peer =
                new PerRecordPeer.Run(
                        new EndToEndBenchmark.Throughput(50, 0, 0), zero, snapshot(4, 0.5, 1));

        String lines =
                SettledStorage.lines(
                        processes,
                        job,
                        again,
                        peer,
                        new SettledStorage.Settled(7.5, 0, 2),
                        500,
                        750,
                        5.0,
                        2);

        // By hand: settled Cassandra 60 s / 10,000 rows = 6 ms (job), 14 / 2,000 = 7 (second
        // run), 7.5 / 750 = 10 (peer); job 10 + 1 + 6 = 17, second run 4 + 0.2 + 7 = 11.2, peer
        // 8 + 1 + 10 = 19; parts 5 + 10 + 1 = 16 ms, 2 cores / 16 ms = 125 img/s.
        assertThat(lines)
                .contains(
                        "- job, Cassandra settled (from the arm's start to its keyspace flushed"
                                + " and compacted, 12.5 s of that after the arm): 60.0 CPU s for"
                                + " 10000 rows = 6.0 ms/image (of which JIT compilers 0.3),"
                                + " against 4.0 in its window\n")
                .contains("- job, second run, Cassandra settled")
                .contains("14.0 CPU s for 2000 rows = 7.0 ms/image")
                .contains(
                        "7.5 CPU s for 750 rows = 10.0 ms/image (of which JIT compilers 0.0),"
                                + " against 2.0 in its window")
                .contains(
                        "sum-of-parts bound 2 cores / (floor 5.0 + Cassandra 10.0 + Kafka 1.0"
                                + " ms/image = 16.0) = 125 img/s; job: job / peer CPU per image"
                                + " 17.0 / 19.0 = 0.89, job / bound 0.80; job, second run: job /"
                                + " peer CPU per image 11.2 / 19.0 = 0.59, job / bound 1.60\n");
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
