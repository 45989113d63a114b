package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuTimelineTest {
    @Test
    void shouldGiveEachProcessCpuPerSecondFromTheSamplesNearestItsEnds() {
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("job", 11L);
        pids.put("node", 12L);
        CpuTimeline timeline = new CpuTimeline(pids);

        timeline.record(1_000, new double[] {0.0, 0.0});
        timeline.record(1_850, new double[] {0.5, 0.9}); // 150 ms from 2,000: not the nearest
        timeline.record(2_100, new double[] {0.55, 1.1}); // 100 ms from 2,000: the nearest
        timeline.record(3_000, new double[] {0.6, 1.1});
        timeline.record(3_750, new double[] {0.6, 1.85}); // 250 ms from 4,000: still counts
        // Nothing within 250 ms of 5,000: the fourth second cannot be told.

        // Second 1: job 0.55 s of CPU in 1.1 s, node 1.1 s in 1.1 s; second 2: job 0.05 s in
        // 0.9 s (5.6 %), node none; second 3: job none, node 0.75 s in 0.75 s.
        assertThat(timeline.perSecond(1_000, 4))
                .isEqualTo("job [50, 6, 0, -1]\nnode [100, 0, 100, -1]\n");
    }

    @Test
    void shouldSampleThisProcessOnItsOwnThreadUntilClosed() throws Exception {
        CpuTimeline timeline = CpuTimeline.start(Map.of("this JVM", ProcessHandle.current().pid()));
        long from = System.currentTimeMillis();
        Thread.sleep(1_300);

        timeline.close();

        assertThat(timeline.perSecond(from, 1)).matches("this JVM \\[\\d+\\]\n");
        assertThat(timeline.isRunning()).isFalse();
    }
}
