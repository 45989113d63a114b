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

    private static long compilerGroupTicks(long pid) throws Exception {
        return CpuProfile.threadTicks(pid).entrySet().stream()
                .filter(group -> group.getKey().startsWith("C# CompilerThre"))
                .mapToLong(Map.Entry::getValue)
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
            long ticksBefore =
                    CpuProfile.threadTicks(ProcessHandle.current().pid()).get("cpuprofile-spin");
            long end = System.nanoTime() + 500_000_000L;
            long spin = 0;
            while (System.nanoTime() < end) {
                spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
            }
            long jvmMillis =
                    (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - jvmBefore)
                            / 1_000_000;
            Map<String, Long> ticks = CpuProfile.threadTicks(ProcessHandle.current().pid());
            // Clock ticks are 10 ms here (USER_HZ 100).
            assertThat((ticks.get("cpuprofile-spin") - ticksBefore) * 10)
                    .isCloseTo(jvmMillis, within(60L));
            assertThat(ticks.keySet()).anyMatch(group -> group.startsWith("C# Compiler"));
            // The compilers counted per thread add up to their groups' ticks.
            long pid = ProcessHandle.current().pid();
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
