package org.imagestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.imagestream.benchmarks.EndToEndBenchmark.Services;

/**
 * CPU time, RSS and per-thread CPU and run-queue wait of this JVM (the job, the producer and the
 * harness's own watchers), Kafka and Cassandra, from /proc; each arm's lines also say whether the
 * wall clock stepped in its window ({@link ClockSteps}), since its rate and latencies are
 * wall-clock figures.
 */
final class Processes {
    private final Map<String, Long> pids = new LinkedHashMap<>();
    private final ClockSteps clock;

    /**
     * Per process: CPU seconds and RSS MB ({@code values}), its JIT compiler threads' ticks ({@code
     * compilers}) and every thread's sample ({@code threads}); when it was taken, on the monotonic
     * and the wall clock, and the machine's CPU ticks so far ({@link CpuProfile#machineTicks}).
     */
    record Snapshot(
            Map<String, double[]> values,
            Map<String, Map<Long, Long>> compilers,
            Map<String, Map<Long, CpuProfile.ThreadSample>> threads,
            long takenNanos,
            long takenMillis,
            long[] machineTicks) {}

    /** The processes of {@code stack}; each arm's lines say what {@code clock} saw in it. */
    Processes(Services stack, ClockSteps clock) {
        this.clock = clock;
        pids.put("benchmark JVM (Flink job, producer)", ProcessHandle.current().pid());
        if (stack.local() != null) {
            pids.put("Kafka", stack.local().kafka().pid());
            pids.put("Cassandra", stack.local().cassandra().pid());
        }
    }

    /** The processes measured, by name, in report order. */
    Map<String, Long> pids() {
        return Collections.unmodifiableMap(pids);
    }

    /**
     * Gives every thread of the local Kafka and Cassandra this niceness ({@link
     * #reniceEveryThread}), so the job's threads win the shared cores when both want them. Returns
     * the report line; nothing for 0. Niceness ranks threads within one scheduling group: with the
     * kernel's autogroups (on here) the services share one with this JVM because it starts them.
     */
    String renice(int niceness) throws IOException, InterruptedException {
        if (niceness == 0) {
            return "";
        }
        long self = ProcessHandle.current().pid();
        if (pids.size() < 2) {
            throw new IllegalArgumentException(
                    "--services-nice renices the local Kafka and Cassandra; with"
                            + " --bootstrap-servers and --cassandra there are none");
        }
        StringBuilder line = new StringBuilder("Local services' niceness: ");
        for (Map.Entry<String, Long> pid : pids.entrySet()) {
            if (pid.getValue() != self) {
                int threads = reniceEveryThread(pid.getValue(), niceness);
                line.append(
                        String.format(
                                Locale.ROOT,
                                "%s %d (%d threads); ",
                                pid.getKey(),
                                niceness,
                                threads));
            }
        }
        return line.append("the benchmark JVM ")
                .append(CpuProfile.threadNiceness(self).values().stream().distinct().toList())
                .append("\n\n")
                .toString();
    }

    /**
     * Sets the niceness of every thread of process {@code pid} (Linux keeps a niceness per thread,
     * and a thread started later inherits its starter's) and returns how many threads it has once
     * every one reads back at that niceness. A thread that ends while renice runs makes renice fail
     * for it; one that starts meanwhile may have inherited the old niceness: both are settled by
     * reading the threads back and renicing the rest again.
     */
    static int reniceEveryThread(long pid, int niceness) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Map<Long, Integer> threads = CpuProfile.threadNiceness(pid);
            List<String> others = new ArrayList<>();
            threads.forEach(
                    (tid, current) -> {
                        if (current != niceness) {
                            others.add(Long.toString(tid));
                        }
                    });
            if (others.isEmpty()) {
                return threads.size();
            }
            if (attempt > 5) {
                throw new IOException(
                        others.size() + " threads of process " + pid + " stay at another niceness");
            }
            // The bare priority is absolute (-n is relative where POSIXLY_CORRECT is set).
            List<String> command = new ArrayList<>(List.of("renice", "" + niceness, "-p"));
            command.addAll(others);
            Process renice = new ProcessBuilder(command).redirectErrorStream(true).start();
            renice.getInputStream().readAllBytes();
            renice.waitFor(); // its exit status is not the verdict: the read-back is
        }
    }

    Snapshot snapshot() throws IOException {
        Map<String, double[]> values = new LinkedHashMap<>();
        Map<String, Map<Long, Long>> compilers = new LinkedHashMap<>();
        Map<String, Map<Long, CpuProfile.ThreadSample>> threads = new LinkedHashMap<>();
        for (Map.Entry<String, Long> pid : pids.entrySet()) {
            compilers.put(pid.getKey(), CpuProfile.compilerTicks(pid.getValue()));
            threads.put(pid.getKey(), CpuProfile.threadSamples(pid.getValue()));
            double cpu = CpuProfile.cpuSeconds(pid.getValue());
            long rssKb =
                    Files.readAllLines(Path.of("/proc/" + pid.getValue() + "/status")).stream()
                            .filter(line -> line.startsWith("VmRSS"))
                            .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                            .findFirst()
                            .orElse(0L);
            values.put(pid.getKey(), new double[] {cpu, rssKb / 1024.0});
        }
        return new Snapshot(
                values,
                compilers,
                threads,
                System.nanoTime(),
                System.currentTimeMillis(),
                CpuProfile.machineTicks());
    }

    /**
     * Each process's CPU per thread group between two snapshots, as tables, each followed by how
     * long its threads waited for a CPU ({@link CpuProfile#waitLine}).
     */
    static String threadTables(Snapshot before, Snapshot after) {
        StringBuilder tables = new StringBuilder();
        double seconds = (after.takenNanos() - before.takenNanos()) / 1e9;
        before.threads()
                .forEach(
                        (name, threads) ->
                                tables.append(name)
                                        .append(":\n\n")
                                        .append(
                                                CpuProfile.threadTable(
                                                        threads, after.threads().get(name)))
                                        .append(name)
                                        .append(" ")
                                        .append(
                                                CpuProfile.waitLine(
                                                        threads,
                                                        after.threads().get(name),
                                                        seconds))
                                        .append("\n\n"));
        return tables.toString();
    }

    /**
     * Waits until all the processes together use less than a tenth of a core for two seconds in a
     * row (or {@code timeout} passed): the compactions, memtable flushes and garbage collection an
     * earlier arm left behind are not counted in the next one's CPU. Only the processes started
     * here are watched (not an external Kafka or Cassandra).
     *
     * @return a line for the report when the machine did not get quiet, else ""
     */
    String awaitQuiet(Duration timeout, String arm) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        double last = allCpuSeconds();
        int quietSeconds = 0;
        while (quietSeconds < 2) {
            if (System.nanoTime() > deadline) {
                String note =
                        "- "
                                + arm
                                + ": the machine was not quiet after "
                                + timeout
                                + "; measured anyway\n";
                System.out.print(note);
                return note;
            }
            Thread.sleep(1000);
            double now = allCpuSeconds();
            quietSeconds = now - last < 0.1 ? quietSeconds + 1 : 0;
            last = now;
        }
        return "";
    }

    private double allCpuSeconds() throws IOException {
        double seconds = 0;
        for (long pid : pids.values()) {
            seconds += CpuProfile.cpuSeconds(pid);
        }
        return seconds;
    }

    /** CPU seconds of one process's JIT compiler threads between two snapshots. */
    static double compilerSeconds(Snapshot before, Snapshot after, String name) {
        return CpuProfile.compilerSeconds(
                before.compilers().get(name), after.compilers().get(name));
    }

    /** CPU seconds of one process between two snapshots (NaN if one lacks it). */
    static double cpuSeconds(Snapshot before, Snapshot after, String name) {
        double[] from = before.values().get(name);
        double[] to = after.values().get(name);
        return from == null || to == null ? Double.NaN : to[0] - from[0];
    }

    /** CPU milliseconds per image of one process between two snapshots. */
    double millisPerImage(Snapshot before, Snapshot after, long images, String name) {
        return cpuSeconds(before, after, name) * 1000 / images;
    }

    /** CPU milliseconds per image of one process's JIT compiler threads. */
    static double compilerMillisPerImage(
            Snapshot before, Snapshot after, long images, String name) {
        return compilerSeconds(before, after, name) * 1000 / images;
    }

    /** CPU seconds of all processes between two snapshots. */
    static double cpuSecondsBetween(Snapshot before, Snapshot after) {
        double seconds = 0;
        for (String name : before.values().keySet()) {
            seconds += cpuSeconds(before, after, name);
        }
        return seconds;
    }

    /** CPU milliseconds per image of all processes, with or without their JIT compilers. */
    double allMillisPerImage(
            Snapshot before, Snapshot after, long images, boolean withoutCompilers) {
        double millis = 0;
        for (String name : before.values().keySet()) {
            millis += millisPerImage(before, after, images, name);
            if (withoutCompilers) {
                millis -= compilerMillisPerImage(before, after, images, name);
            }
        }
        return millis;
    }

    /** CPU per image and RSS of each process, and the rate all that CPU allows. */
    String table(Snapshot before, Snapshot after, long images, String arm, double rate) {
        StringBuilder table = new StringBuilder();
        for (String name : before.values().keySet()) {
            table.append(
                    String.format(
                            Locale.ROOT,
                            "- %s, %s: %.1f CPU s (%.1f ms/image, of which JIT compilers"
                                    + " %.1f), RSS %.0f MB%n",
                            arm,
                            name,
                            cpuSeconds(before, after, name),
                            millisPerImage(before, after, images, name),
                            compilerMillisPerImage(before, after, images, name),
                            after.values().get(name)[1]));
        }
        // The arms run one after another in one JVM, beside servers started for them: an
        // arm measured later finds code the earlier ones compiled (the peer runs last), so
        // CPU per image without the compilers is the like-for-like, steady-state figure.
        table.append(
                String.format(
                        Locale.ROOT,
                        "- %s, all processes without their JIT compilers: %.1f ms/image%n",
                        arm,
                        allMillisPerImage(before, after, images, true)));
        double totalMillis = allMillisPerImage(before, after, images, false);
        double bound = EndToEndBenchmark.CORES * 1000 / totalMillis;
        table.append(
                String.format(
                        Locale.ROOT,
                        "- %s, all processes above: %.1f ms/image; machine bound %d cores / that ="
                                + " %.0f img/s, achieved %.1f = %.0f %% of it%n",
                        arm,
                        totalMillis,
                        EndToEndBenchmark.CORES,
                        bound,
                        rate,
                        100 * rate / bound));
        // A paused machine is in every wall-clock figure of the arm (its rate, its latencies), and
        // CPU time the hypervisor gave to other machines was not this one's to use.
        table.append(
                String.format(
                        Locale.ROOT,
                        "- %s: %s; the hypervisor took %.1f %% of the CPUs' time (steal)%n",
                        arm,
                        clock.describe(before.takenMillis(), after.takenMillis()),
                        CpuProfile.stealPercent(before.machineTicks(), after.machineTicks())));
        return table.toString();
    }
}
