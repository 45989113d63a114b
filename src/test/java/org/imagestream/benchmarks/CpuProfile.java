package org.imagestream.benchmarks;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import one.profiler.AsyncProfiler;

/**
 * A CPU profile of one process over one phase of a benchmark: CPU time per thread from {@code
 * /proc} (native threads such as TensorFlow's and the JIT compilers' included) plus sampled stacks.
 * Another JVM (Cassandra, Kafka) is sampled with async-profiler, attached through the Attach API
 * (from Maven Central, so nothing to install), which sees Java, native and kernel frames and writes
 * a flame graph. The benchmark JVM itself is sampled with JFR instead: async-profiler's signals in
 * the JVM that runs TensorFlow crashed it here with a corrupted native heap, in CPU and in itimer
 * mode alike, even with native stack walking off.
 */
final class CpuProfile {
    /** async-profiler's sampling: every 5 ms of CPU time, a few thousand samples per phase. */
    static final String ASYNC_PROFILER_OPTIONS = "event=cpu,interval=5ms";

    private static final Pattern COLLAPSED_LINE = Pattern.compile("(.+) (\\d+)");

    private final long pid;

    /** Attached JVM (async-profiler), or null for this JVM (JFR). */
    private final VirtualMachine other;

    private final Path library;
    private Recording recording;
    private Instant windowStart;
    private Map<Long, ThreadSample> threadsAtStart;

    private CpuProfile(long pid, VirtualMachine other, Path library) {
        this.pid = pid;
        this.other = other;
        this.library = library;
    }

    /**
     * This JVM, sampled with JFR. The recording starts now, well before the phase to be profiled:
     * with JFR and the agent in Cassandra started at the phase's beginning, the job's rate fell
     * from about 95 to 40 img/s for tens of seconds. {@link #start} only marks where the phase's
     * samples begin.
     */
    static CpuProfile ofThisJvm() {
        CpuProfile profile = new CpuProfile(ProcessHandle.current().pid(), null, null);
        profile.recording = new Recording();
        profile.recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
        profile.recording.start();
        return profile;
    }

    /**
     * Another local JVM, sampled with async-profiler. Attaches and loads the agent now (one short
     * start and stop), well before the phase to be profiled: attaching takes seconds on a busy
     * machine, and whatever the agent's arrival costs the JIT is paid outside the phase.
     */
    static CpuProfile ofProcess(long pid) throws IOException {
        try {
            CpuProfile profile =
                    new CpuProfile(pid, VirtualMachine.attach(Long.toString(pid)), agentLibrary());
            profile.agent("start," + ASYNC_PROFILER_OPTIONS);
            profile.agent("stop");
            return profile;
        } catch (AttachNotSupportedException e) {
            throw new IOException("Cannot attach to process " + pid, e);
        }
    }

    void start() throws IOException {
        threadsAtStart = threadSamples(pid);
        windowStart = Instant.now();
        if (other != null) {
            agent("start,threads," + ASYNC_PROFILER_OPTIONS);
        }
    }

    /**
     * Stops the profile, writes the samples ({@code name.jfr}, or {@code name.collapsed} and {@code
     * name-flame.html}) to {@code dir} and returns the summary for the report.
     */
    String stop(Path dir, String name) throws IOException {
        String threadTable = threadTable(threadsAtStart, threadSamples(pid));
        if (other == null) {
            Path jfr = dir.resolve(name + ".jfr");
            recording.stop();
            recording.dump(jfr);
            recording.close();
            return threadTable + topFramesOfJfr(jfr, windowStart, 12) + "Recording: " + jfr + "\n";
        }
        Path stacks = dir.resolve(name + ".collapsed").toAbsolutePath();
        Path html = dir.resolve(name + "-flame.html").toAbsolutePath();
        try {
            agent("stop,collapsed,file=" + stacks);
            agent("flamegraph,file=" + html);
        } finally {
            other.detach();
        }
        return threadTable
                + topFramesOfCollapsed(Files.readAllLines(stacks), 12)
                + "Flame graph: "
                + dir.resolve(html.getFileName())
                + " (collapsed stacks beside it)\n";
    }

    private void agent(String command) throws IOException {
        try {
            other.loadAgentPath(library.toString(), command);
        } catch (AgentLoadException | AgentInitializationException e) {
            throw new IOException("async-profiler '" + command + "' failed in " + pid, e);
        }
    }

    /**
     * One thread's group ({@link #threadGroup}), CPU clock ticks so far, nanoseconds it has spent
     * runnable but waiting for a CPU (the scheduler's run-queue delay) and how many times it was
     * given one ({@code /proc/PID/task/TID/schedstat}'s second and third fields).
     */
    record ThreadSample(String group, long ticks, long waitNanos, long runs) {
        ThreadSample(String group, long ticks) {
            this(group, ticks, 0, 0);
        }
    }

    /**
     * Every live thread of a process by thread id ({@code /proc/PID/task/TID/stat}), for {@link
     * #threadTable}.
     */
    static Map<Long, ThreadSample> threadSamples(long pid) throws IOException {
        Map<Long, ThreadSample> samples = new HashMap<>();
        eachThread(
                pid,
                (tid, name, stat) -> {
                    long[] waits = schedstat(pid, tid);
                    // A thread that ended between its two reads is left out, as if ended before.
                    if (waits != null) {
                        samples.put(
                                tid,
                                new ThreadSample(
                                        threadGroup(name), cpuTicks(stat), waits[0], waits[1]));
                    }
                });
        return samples;
    }

    /**
     * A thread's run-queue delay so far in nanoseconds and the times it has been given a CPU, from
     * {@code schedstat}; null once it has exited.
     */
    static long[] schedstat(long pid, long tid) throws IOException {
        try {
            String[] fields =
                    Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat"))
                            .trim()
                            .split(" ");
            return new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])};
        } catch (NoSuchFileException exited) {
            return null;
        }
    }

    /** Where a thread that started between two samples counts from. */
    private static final ThreadSample STARTED_SINCE = new ThreadSample("", 0, 0, 0);

    /**
     * Per thread group, what its threads used between two {@link #threadSamples} snapshots: {CPU
     * ticks, run-queue wait nanos, runs}. Each thread alive at the end counts from its values at
     * the start (0 when it started since), under its name at the end. Per thread, not per group:
     * Cassandra's shared-pool workers rename themselves after the stage they serve, and a group's
     * difference would move a worker's whole past from one stage to another. A thread that ends in
     * between takes its share along (under-counted).
     */
    private static Map<String, long[]> usedByGroup(
            Map<Long, ThreadSample> before, Map<Long, ThreadSample> after) {
        Map<String, long[]> groups = new HashMap<>();
        after.forEach(
                (tid, thread) -> {
                    ThreadSample start = before.getOrDefault(tid, STARTED_SINCE);
                    long[] group = groups.computeIfAbsent(thread.group(), g -> new long[3]);
                    group[0] += thread.ticks() - start.ticks();
                    group[1] += thread.waitNanos() - start.waitNanos();
                    group[2] += thread.runs() - start.runs();
                });
        return groups;
    }

    /**
     * How long a process's threads waited for a CPU while runnable between two samples, in all and
     * per second of {@code seconds}, with the thread groups that waited most and their mean wait
     * each time they were given a CPU, e.g. {@code "waited 3.2 s for a CPU while runnable (107 ms
     * per second): `ReadStage-#` 1.10 s (0.41 ms a run), ..."}: the delay a thread woken by a
     * request or a record sees before it runs. Threads count as in {@link #usedByGroup}.
     */
    static String waitLine(
            Map<Long, ThreadSample> before, Map<Long, ThreadSample> after, double seconds) {
        Map<String, long[]> groups = usedByGroup(before, after);
        long total = groups.values().stream().mapToLong(group -> group[1]).sum();
        String most =
                groups.entrySet().stream()
                        .filter(e -> e.getValue()[1] > 0)
                        .sorted(
                                Map.Entry.<String, long[]>comparingByValue(
                                                Comparator.comparingLong(g -> g[1]))
                                        .reversed())
                        .limit(4)
                        .map(
                                e ->
                                        String.format(
                                                Locale.ROOT,
                                                "`%s` %.2f s (%.2f ms a run)",
                                                e.getKey().replace('|', '/'),
                                                e.getValue()[1] / 1e9,
                                                e.getValue()[1]
                                                        / 1e6
                                                        / Math.max(1, e.getValue()[2])))
                        .collect(Collectors.joining(", "));
        return String.format(
                Locale.ROOT,
                "waited %.2f s for a CPU while runnable (%.0f ms per second)%s",
                total / 1e9,
                total / 1e6 / seconds,
                most.isEmpty() ? "" : ": " + most);
    }

    /**
     * CPU clock ticks of each JIT compiler thread ("C1 CompilerThre", "C2 CompilerThre") of a JVM,
     * by thread id, for {@link #compilerSeconds}.
     */
    static Map<Long, Long> compilerTicks(long pid) throws IOException {
        Map<Long, Long> ticks = new HashMap<>();
        eachThread(
                pid,
                (tid, name, stat) -> {
                    if (name.matches("C[12] CompilerThre.*")) {
                        ticks.put(tid, cpuTicks(stat));
                    }
                });
        return ticks;
    }

    /** Each live thread's niceness (field 19 of {@code /proc/PID/task/TID/stat}), by thread id. */
    static Map<Long, Integer> threadNiceness(long pid) throws IOException {
        Map<Long, Integer> niceness = new LinkedHashMap<>();
        eachThread(
                pid,
                (tid, name, stat) -> niceness.put(tid, Integer.parseInt(statFields(stat)[16])));
        return niceness;
    }

    /** What {@link #eachThread} gives per thread: its id, name and {@code stat} line. */
    @FunctionalInterface
    private interface ThreadStat {
        void accept(long tid, String name, String stat) throws IOException;
    }

    /** Every live thread of a process, from {@code /proc/PID/task/TID/stat}. */
    private static void eachThread(long pid, ThreadStat consumer) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException exited) {
                    continue;
                }
                consumer.accept(
                        Long.parseLong(task.getFileName().toString()),
                        stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
                        stat);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * User plus system CPU clock ticks in a {@code /proc} {@code stat} line ("pid (name) state
     * ..."; the name may hold spaces and parentheses): fields 14 and 15.
     */
    static long cpuTicks(String stat) {
        long[] ticks = userAndKernelTicks(stat);
        return ticks[0] + ticks[1];
    }

    /** User and kernel CPU clock ticks, apart, in a {@code /proc} {@code stat} line. */
    static long[] userAndKernelTicks(String stat) {
        String[] fields = statFields(stat);
        return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    }

    /**
     * The fields of a {@code /proc} {@code stat} line after the command name, which may hold spaces
     * and parentheses: element 0 is field 3 (the state).
     */
    private static String[] statFields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /**
     * CPU seconds the JIT compilers spent between two {@link #compilerTicks} snapshots: each
     * compiler thread alive at the end, from its ticks at the start (0 when it started since). The
     * JVM retires idle compiler threads, and one that exits in between takes its ticks along, so
     * this can only under-count the compilers.
     */
    static double compilerSeconds(Map<Long, Long> before, Map<Long, Long> after) {
        long ticks = 0;
        for (Map.Entry<Long, Long> thread : after.entrySet()) {
            ticks += thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
        }
        return ticks / 100.0;
    }

    /**
     * The machine's CPU time so far and the part of it the hypervisor gave to other machines
     * (steal), in clock ticks over all CPUs, from {@code /proc/stat}'s first line.
     */
    static long[] machineTicks() throws IOException {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            return machineTicks(lines.findFirst().orElseThrow());
        }
    }

    /**
     * {all, steal} ticks of a {@code /proc/stat} "cpu" line: user, nice, system, idle, iowait, irq,
     * softirq and steal add up to all (guest time is inside user already).
     */
    static long[] machineTicks(String cpuLine) {
        String[] fields = cpuLine.trim().split("\\s+");
        long all = 0;
        for (int i = 1; i <= 8; i++) {
            all += Long.parseLong(fields[i]);
        }
        return new long[] {all, Long.parseLong(fields[8])};
    }

    /** Steal in per cent of all the machine's CPU time between two {@link #machineTicks}. */
    static double stealPercent(long[] before, long[] after) {
        long all = after[0] - before[0];
        return all <= 0 ? 0 : 100.0 * (after[1] - before[1]) / all;
    }

    /** User plus system CPU seconds a process has used so far, from /proc (100 ticks a second). */
    static double cpuSeconds(long pid) throws IOException {
        long[] ticks = userAndKernelTicks(pid);
        return (ticks[0] + ticks[1]) / 100.0;
    }

    /** User and kernel CPU clock ticks, apart, that a process has used so far ({@code /proc}). */
    static long[] userAndKernelTicks(long pid) throws IOException {
        return userAndKernelTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** Digits folded, so that pools and Flink's subtasks add up: "C2 CompilerThre" -> "C# ...". */
    static String threadGroup(String threadName) {
        return threadName.replaceAll("tid=\\d+", "").replaceAll("\\d+", "#").trim();
    }

    /** The top frames (self time) of async-profiler's collapsed stacks. */
    static String topFramesOfCollapsed(List<String> collapsedLines, int limit) {
        Map<String, Long> bySelf = new HashMap<>();
        for (String line : collapsedLines) {
            // "frame;frame;...;frame samples"
            Matcher stack = COLLAPSED_LINE.matcher(line);
            if (stack.matches()) {
                String[] frames = stack.group(1).split(";");
                bySelf.merge(frames[frames.length - 1], Long.parseLong(stack.group(2)), Long::sum);
            }
        }
        return table("top frame, self time (async-profiler samples)", bySelf, limit);
    }

    /**
     * The top frames of JFR's Java execution samples since {@code from} (native code is not sampled
     * by JFR).
     */
    static String topFramesOfJfr(Path jfr, Instant from, int limit) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(jfr)) {
            if (event.getEventType().getName().equals("jdk.ExecutionSample")
                    && !event.getStartTime().isBefore(from)
                    && event.getStackTrace() != null
                    && !event.getStackTrace().getFrames().isEmpty()) {
                RecordedFrame top = event.getStackTrace().getFrames().get(0);
                counts.merge(
                        top.getMethod().getType().getName() + "." + top.getMethod().getName(),
                        1L,
                        Long::sum);
            }
        }
        return table("top frame, Java threads only (JFR samples)", counts, limit);
    }

    /**
     * Shares of the CPU each thread group used between two {@link #threadSamples} snapshots,
     * threads counted as in {@link #usedByGroup}.
     */
    static String threadTable(Map<Long, ThreadSample> before, Map<Long, ThreadSample> after) {
        Map<String, Long> ticks = new HashMap<>();
        usedByGroup(before, after).forEach((group, used) -> ticks.put(group, used[0]));
        return table("thread (CPU time, /proc)", ticks, 12);
    }

    private static String table(String what, Map<String, Long> counts, int limit) {
        long total = Math.max(1, counts.values().stream().mapToLong(v -> v).sum());
        return "| "
                + what
                + " | share |\n|---|---|\n"
                + counts.entrySet().stream()
                        .filter(e -> e.getValue() > 0)
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .limit(limit)
                        .map(
                                e ->
                                        String.format(
                                                Locale.ROOT,
                                                "| `%s` | %.1f %% |%n",
                                                e.getKey().replace('|', '/'),
                                                100.0 * e.getValue() / total))
                        .collect(Collectors.joining())
                + String.format(Locale.ROOT, "| (all, %d) | 100 %% |%n%n", total);
    }

    /** The agent library from the async-profiler jar, copied out for the Attach API. */
    private static synchronized Path agentLibrary() throws IOException {
        String platform =
                System.getProperty("os.arch").contains("aarch64") ? "linux-arm64" : "linux-x64";
        Path library = Path.of(System.getProperty("java.io.tmpdir"), "imagestream-asprof.so");
        try (InputStream in =
                AsyncProfiler.class.getResourceAsStream("/" + platform + "/libasyncProfiler.so")) {
            if (in == null) {
                throw new IOException("async-profiler has no library for " + platform);
            }
            Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
        }
        return library;
    }
}
