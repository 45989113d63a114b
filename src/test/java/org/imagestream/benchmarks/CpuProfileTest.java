package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
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
        // One more thread than there are cores spins for 400 ms: the cores can give them at most
        // cores x 400 ms, so together they wait at least about 400 ms for a CPU.
        int threads = Runtime.getRuntime().availableProcessors() + 1;
        long pid = ProcessHandle.current().pid();
        java.util.concurrent.CountDownLatch ready =
                new java.util.concurrent.CountDownLatch(threads);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ConcurrentHashMap<Long, long[]> waits =
                new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> spinners = new java.util.ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread spinner =
                    new Thread(
                            () -> {
                                try {
                                    long tid = tidOfCurrentThread();
                                    ready.countDown();
                                    go.await();
                                    long before = CpuProfile.schedstat(pid, tid)[0];
                                    long until = System.nanoTime() + 400_000_000L;
                                    while (System.nanoTime() < until) {
                                        Thread.onSpinWait();
                                    }
                                    waits.put(
                                            tid,
                                            new long[] {before, CpuProfile.schedstat(pid, tid)[0]});
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
        long waited = waits.values().stream().mapToLong(w -> w[1] - w[0]).sum();
        assertThat(waits).hasSize(threads);
        assertThat(waited).isGreaterThan(200_000_000L);
    }

    /** This thread's kernel id, from /proc/thread-self (a link to /proc/PID/task/TID). */
    private static long tidOfCurrentThread() throws Exception {
        return Long.parseLong(
                java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"))
                        .getFileName()
                        .toString());
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
