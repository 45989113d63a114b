package org.imagestream.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.imagestream.benchmarks.EndToEndBenchmark.Services;

/**
 * The local node's CPU for a whole arm with its writes settled: from the arm's start until its
 * keyspace is flushed and the node runs and queues no compaction ({@link NodeJmx#flushAndSettle}),
 * over every row the arm stored, warm-up ones included.
 *
 * <p>A window's Cassandra CPU per image holds the flushes and compactions that happen to fall in
 * it: those of earlier writes, not those its own writes leave for later, so a short window can look
 * cheaper or dearer than what its writes cost. Settling each arm's keyspace charges every arm the
 * whole of what its writes cost the node, on the same terms. Each arm's schema is made before it
 * waits for a quiet machine ({@link Processes#awaitQuiet}), so its span starts quiet. What else the
 * node does in the span stays in it: another keyspace's compaction, the harness's point reads of a
 * job's progress, its idling while a job starts and between the settle's polls (at least 2 s), and
 * with {@code --profile true} async-profiler on the node in the first arm.
 */
final class SettledStorage implements AutoCloseable {
    private static final String NODE = "Cassandra";

    private final NodeJmx jmx;
    private final Processes processes;

    private SettledStorage(NodeJmx jmx, Processes processes) {
        this.jmx = jmx;
        this.processes = processes;
    }

    /** For the local node started with JMX; null for external servers, which are not measured. */
    static SettledStorage connect(Services stack, Processes processes) throws IOException {
        if (stack.local() == null) {
            return null;
        }
        int port = stack.local().cassandra().jmxPort();
        if (port == 0) {
            throw new IllegalStateException("the local node was started without JMX");
        }
        return new SettledStorage(NodeJmx.connect(port), processes);
    }

    /** Where an arm's span starts: take it once the arm's schema exists. */
    Processes.Snapshot start() throws IOException {
        return processes.snapshot();
    }

    /**
     * Flushes {@code keyspace}, waits until no compaction runs or waits, and returns the node's CPU
     * since {@code start}.
     */
    Settled settle(Processes.Snapshot start, String keyspace) throws Exception {
        long settling = System.nanoTime();
        jmx.flushAndSettle(keyspace);
        double settleSeconds = (System.nanoTime() - settling) / 1e9;
        Processes.Snapshot end = processes.snapshot();
        return new Settled(
                Processes.cpuSeconds(start, end, NODE),
                Processes.compilerSeconds(start, end, NODE),
                settleSeconds);
    }

    /**
     * The node's CPU seconds over an arm's settled span, of them its JIT compilers', and how long
     * the flush and the wait for compactions took after the arm.
     */
    record Settled(double cpuSeconds, double compilerSeconds, double settleSeconds) {
        double millisPerImage(long rows) {
            return cpuSeconds * 1000 / rows;
        }

        double compilerMillisPerImage(long rows) {
            return compilerSeconds * 1000 / rows;
        }

        /** The report line of one arm, against its window's Cassandra CPU per image. */
        String describe(String arm, long rows, double windowMillis) {
            return String.format(
                    Locale.ROOT,
                    "- %s, Cassandra settled (from the arm's start to its keyspace flushed and"
                            + " compacted, %.1f s of that after the arm): %.1f CPU s for %d rows"
                            + " = %.1f ms/image (of which JIT compilers %.1f), against %.1f in its"
                            + " window%n",
                    arm,
                    settleSeconds,
                    cpuSeconds,
                    rows,
                    millisPerImage(rows),
                    compilerMillisPerImage(rows),
                    windowMillis);
        }
    }

    /**
     * Each arm's Cassandra settled ({@link SettledStorage}) and the CPU goals again with it: the
     * benchmark JVM's and Kafka's CPU per image from each arm's window, Cassandra's from the arm's
     * settled span; the sum-of-parts bound with the peer's settled Cassandra.
     */
    static String lines(
            Processes processes,
            EndToEndBenchmark.ProfiledRun job,
            EndToEndBenchmark.ProfiledRun again,
            PerRecordPeer.Run peer,
            SettledStorage.Settled peerSettled,
            long peerImages,
            double floorMillis,
            int cores) {
        StringBuilder lines = new StringBuilder();
        long peerRows = peer.storedRows();
        double peerWindow = processes.millisPerImage(peer.before(), peer.after(), peerImages, NODE);
        double peerKafka =
                processes.millisPerImage(peer.before(), peer.after(), peerImages, "Kafka");
        double peerSettledMillis = peerSettled.millisPerImage(peerRows);
        double peerAll =
                processes.allMillisPerImage(peer.before(), peer.after(), peerImages, false)
                        - peerWindow
                        + peerSettledMillis;
        double parts = floorMillis + peerSettledMillis + peerKafka;
        double bound = cores * 1000 / parts;
        List<String> ratios = new ArrayList<>();
        for (EndToEndBenchmark.ProfiledRun arm :
                again == null ? List.of(job) : List.of(job, again)) {
            String name = arm == job ? "job" : "job, second run";
            double window = processes.millisPerImage(arm.before(), arm.after(), arm.rows(), NODE);
            lines.append(arm.storage().describe(name, arm.storedRows(), window));
            double all =
                    processes.allMillisPerImage(arm.before(), arm.after(), arm.rows(), false)
                            - window
                            + arm.storage().millisPerImage(arm.storedRows());
            ratios.add(
                    String.format(
                            Locale.ROOT,
                            "%s: job / peer CPU per image %.1f / %.1f = %.2f, job / bound %.2f",
                            name,
                            all,
                            peerAll,
                            all / peerAll,
                            arm.throughput().imagesPerSecond() / bound));
        }
        lines.append(peerSettled.describe("peer", peerRows, peerWindow));
        lines.append(
                String.format(
                        Locale.ROOT,
                        "- with each arm's Cassandra settled (the benchmark JVM and Kafka as in"
                                + " its window): sum-of-parts bound %d cores / (floor %.1f +"
                                + " Cassandra %.1f + Kafka %.1f ms/image = %.1f) = %.0f img/s; %s%n",
                        cores,
                        floorMillis,
                        peerSettledMillis,
                        peerKafka,
                        parts,
                        bound,
                        String.join("; ", ratios)));
        return lines.toString();
    }

    @Override
    public void close() throws IOException {
        jmx.close();
    }
}
