package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuTimelineTest {
    @Test
    void shouldGiveEachProcessesCpuPerSecondFromTheSamplesNearestItsEnds() {
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("job", 11L);
        pids.put("node", 12L);
        CpuTimeline timeline = new CpuTimeline(pids);

        timeline.record(1_000, new double[] {0.0, 0.0});
        timeline.record(2_000, new double[] {0.5, 1.0}); // job half a core, node one core
        timeline.record(3_000, new double[] {0.6, 1.0});
        timeline.record(3_900, new double[] {0.6, 1.9}); // 0.9 s of node CPU in 0.9 s
        // Nothing near 5,000: the fourth second cannot be told.

        assertThat(timeline.perSecond(1_000, 4))
                .isEqualTo("job [50, 10, 0, -1]\nnode [100, 0, 100, -1]\n");
    }
}
