package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class CpuProfileTest {

    @Test
    void foldsDigitsSoThatPoolsAndSubtasksAddUp() {
        assertThat(CpuProfile.threadGroup("C2 CompilerThre")).isEqualTo("C# CompilerThre");
        assertThat(CpuProfile.threadGroup("[Classify images (2/2)#0 tid=4711]"))
                .isEqualTo(CpuProfile.threadGroup("[Classify images (1/2)#0 tid=4702]"));
    }

    @Test
    void ranksTopFramesBySelfSamples() {
        String table =
                CpuProfile.topFramesOfCollapsed(
                        List.of(
                                "[main tid=1];a;b;LZ4_compress_fast_extState 30",
                                "[main tid=1];a;memcpy 10",
                                "[other tid=2];x;LZ4_compress_fast_extState 20",
                                "not a stack line"),
                        2);
        assertThat(table.lines().toList())
                .containsSubsequence(
                        "| `LZ4_compress_fast_extState` | 83.3 % |",
                        "| `memcpy` | 16.7 % |", "| (all, 60) | 100 % |");
    }

    @Test
    void countsEachThreadFromItsOwnStartUnderItsNameAtTheEnd() {
        // Thread 1 served mutations and now serves requests (Cassandra's shared-pool workers
        // rename themselves): 5 ticks in the window, not its past 500. Thread 3 started in the
        // window; thread 2 ended in it (its ticks are gone).
        String table =
                CpuProfile.threadTable(
                        Map.of(
                                1L, new CpuProfile.ThreadSample("MutationStage-#", 500),
                                2L, new CpuProfile.ThreadSample("MutationStage-#", 70)),
                        Map.of(
                                1L, new CpuProfile.ThreadSample("Native-Transport-Requests-#", 505),
                                3L, new CpuProfile.ThreadSample("MemtableFlushWriter:#", 15)));
        assertThat(table.lines().toList())
                .containsSubsequence(
                        "| `MemtableFlushWriter:#` | 75.0 % |",
                        "| `Native-Transport-Requests-#` | 25.0 % |", "| (all, 20) | 100 % |");
    }

    @Test
    void takesStealAsAShareOfAllTheMachinesTicks() {
        // user 100, nice 1, system 50, idle 800, iowait 9, irq 0, softirq 10, steal 30 (1,000 in
        // all; guest 5 is inside user), then 500 more of which 20 stolen.
        long[] before = CpuProfile.machineTicks("cpu  100 1 50 800 9 0 10 30 5 0");
        long[] after = CpuProfile.machineTicks("cpu  300 1 100 1030 9 0 10 50 7 0");

        assertThat(before).containsExactly(1_000, 30);
        assertThat(CpuProfile.stealPercent(before, after)).isCloseTo(4.0, within(1e-9));
    }

    @Test
    void sumsEachThreadsWaitForACpuSinceItsOwnStart() {
        // Thread 1 waited 0.5 s before the window and 1.5 s more in it, over 3,000 runs; thread 3
        // started in the window and waited 0.25 s over 100 runs; thread 2 ended in it (its wait
        // is gone). 1.75 s in 10 s.
        String line =
                CpuProfile.waitLine(
                        Map.of(
                                1L,
                                new CpuProfile.ThreadSample("ReadStage-#", 10, 500_000_000L, 1_000),
                                2L,
                                new CpuProfile.ThreadSample("ReadStage-#", 10, 900_000_000L, 50)),
                        Map.of(
                                1L,
                                new CpuProfile.ThreadSample(
                                        "ReadStage-#", 20, 2_000_000_000L, 4_000),
                                3L,
                                new CpuProfile.ThreadSample(
                                        "MemtableFlushWriter:#", 1, 250_000_000L, 100)),
                        10.0);
        assertThat(line)
                .isEqualTo(
                        "waited 1.75 s for a CPU while runnable (175 ms per second):"
                                + " `ReadStage-#` 1.50 s (0.50 ms a run),"
                                + " `MemtableFlushWriter:#` 0.25 s (2.50 ms a run)");
    }

    @Test
    void readsTheWaitOfMoreSpinningThreadsThanCoresFromProc() throws Exception {
        // One more thread than there are cores spins for 400 ms. A spinning thread is either on
        // a CPU or waiting for one, so its wait is the time that passed less its CPU time, which
        // the JVM measures on its own (ThreadMXBean); together they wait at least about 400 ms.
        int threads = Runtime.getRuntime().availableProcessors() + 1;
        long pid = ProcessHandle.current().pid();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        // Per thread: {wait read from /proc, time passed less the JVM's CPU time for it}.
        Map<Long, long[]> waits = new ConcurrentHashMap<>();
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread spinner =
                    new Thread(
                            () -> {
                                try {
                                    long tid = tidOfCurrentThread();
                                    ready.countDown();
                                    go.await();
                                    long waitBefore = CpuProfile.schedstat(pid, tid)[0];
                                    long cpuBefore = cpu.getCurrentThreadCpuTime();
                                    long started = System.nanoTime();
                                    while (System.nanoTime() - started < 400_000_000L) {
                                        Thread.onSpinWait();
                                    }
                                    long waited = CpuProfile.schedstat(pid, tid)[0] - waitBefore;
                                    long passed = System.nanoTime() - started;
                                    long ran = cpu.getCurrentThreadCpuTime() - cpuBefore;
                                    waits.put(tid, new long[] {waited, passed - ran});
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            spinners.add(spinner);
            spinner.start();
        }
        ready.await();
        go.countDown();
        for (Thread spinner : spinners) {
            spinner.join();
        }
        assertThat(waits).hasSize(threads);
        for (long[] wait : waits.values()) {
            // Within 60 ms: the reads are not atomic, and time the hypervisor takes or a
            // safepoint holds the thread counts in neither. Reading the run time (schedstat's
            // first field) instead would be off by the thread's CPU time.
            assertThat((double) wait[0]).isCloseTo(wait[1], within(60_000_000.0));
        }
        assertThat(waits.values().stream().mapToLong(w -> w[0]).sum()).isGreaterThan(200_000_000L);
    }

    /** This thread's kernel id, from /proc/thread-self (a link to /proc/PID/task/TID). */
    private static long tidOfCurrentThread() throws Exception {
        return Long.parseLong(
                Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    }

    private static long compilerGroupTicks(long pid) throws Exception {
        return groupTicks(pid, "C# CompilerThre");
    }

    /** The ticks of one thread group's live threads. */
    private static long groupTicks(long pid, String group) throws Exception {
        return CpuProfile.threadSamples(pid).values().stream()
                .filter(thread -> thread.group().startsWith(group))
                .mapToLong(CpuProfile.ThreadSample::ticks)
                .sum();
    }

    @Test
    void readsThreadCpuTimesFromProcAsTheJvmCountsThem() throws Exception {
        Thread thread = Thread.currentThread();
        String name = thread.getName();
        // Linux keeps 15 characters of a thread's name; the JVM sets it for the current thread.
        thread.setName("cpuprofile-spin");
        try {
            // Over the spin only: the thread's totals since it started (the whole test run, when
            // this runs last) drift apart by more than the ticks' rounding.
            long jvmBefore = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long pid = ProcessHandle.current().pid();
            long ticksBefore = groupTicks(pid, "cpuprofile-spin");
            long end = System.nanoTime() + 500_000_000L;
            long spin = 0;
            while (System.nanoTime() < end) {
                spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
            }
            long jvmMillis =
                    (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - jvmBefore)
                            / 1_000_000;
            // Clock ticks are 10 ms here (USER_HZ 100).
            assertThat((groupTicks(pid, "cpuprofile-spin") - ticksBefore) * 10)
                    .isCloseTo(jvmMillis, within(60L));
            assertThat(CpuProfile.threadSamples(pid).values())
                    .anyMatch(sample -> sample.group().startsWith("C# Compiler"));
            // The compilers counted per thread add up to their groups' ticks.
            long groupedBefore = compilerGroupTicks(pid);
            Map<Long, Long> compilers = CpuProfile.compilerTicks(pid);
            long groupedAfter = compilerGroupTicks(pid);
            // Read between the two group readings (compilers may run meanwhile).
            assertThat(CpuProfile.compilerSeconds(Map.of(), compilers) * 100)
                    .isBetween(groupedBefore - 2.0, groupedAfter + 2.0);
            assertThat(CpuProfile.compilerSeconds(compilers, compilers)).isZero();
            assertThat(spin).isNotNegative();
        } finally {
            thread.setName(name);
        }
    }
}
