package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyRunsTest {

    @Test
    void countsTheWarmUpRecordsWrittenAfterTheFirstMeasuredOneWasProduced() {
        // {write time in microseconds, produce time in milliseconds}, in produce order.
        List<long[]> rows =
                List.of(
                        new long[] {1_050_000, 1_000},
                        new long[] {2_100_000, 1_100},
                        new long[] {2_000_000, 1_200},
                        new long[] {2_300_000, 2_000},
                        new long[] {2_400_000, 2_100});

        // The first measured record (index 3) was produced at 2,000 ms: the rows written at
        // 2,100 ms and (exactly then) 2,000 ms were respectively still waiting and just done.
        assertThat(LatencyRuns.waitingWhenMeasuringBegan(rows, 3)).isEqualTo(1);
        assertThat(LatencyRuns.waitingWhenMeasuringBegan(rows, 1)).isZero();
        assertThat(LatencyRuns.waitingWhenMeasuringBegan(rows, 5)).isZero();
    }
}
