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

    @Test
    void subtractsEachRecordsQuickestHopOfItsProduceMillisecond() {
        // {write time in microseconds, produce time in milliseconds}: a warm-up row, then rows of
        // 100, 50 and 200 ms, one whose record the consumer never saw, and one of 10 ms stored
        // before the consumer saw its record (25 ms).
        List<long[]> rows =
                List.of(
                        new long[] {900_000, 500},
                        new long[] {1_100_000, 1_000},
                        new long[] {1_050_000, 1_000},
                        new long[] {1_210_000, 1_010},
                        new long[] {1_300_000, 1_020},
                        new long[] {1_040_000, 1_030});
        Hops hops = new Hops();
        hops.record(1_000, 40);
        hops.record(1_000, 30);
        hops.record(1_010, 150);
        hops.record(1_030, 25);

        // Less 30, 30, 150 and 25 ms: 70, 20, 50 and (not below) 0 ms.
        assertThat(LatencyRuns.afterTheKafkaHop(rows, 1, hops, 50))
                .isEqualTo(
                        "- latency 50 %: the rest, record by record (produce to row less the hop"
                                + " to that consumer; 4 of 5 rows matched, 1 of them stored before"
                                + " it saw the record): p50 / p99 / max 20 / 70 / 70 ms\n");
    }
}
