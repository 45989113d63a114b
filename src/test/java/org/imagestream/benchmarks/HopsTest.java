package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HopsTest {
    @Test
    void shouldDescribeOnlyTheRecordsProducedFromTheGivenTime() {
        long from = 1_700_000_000_000L;
        Hops hops = new Hops();
        // Warm-up records before the measured ones: slow, and left out.
        hops.record(from - 1, 5_000);
        hops.record(from - 700, 4_000);
        // 100 measured records, one every 20 ms (two seconds), hops of 1..100 ms, noted out of
        // produce order as two readers would.
        for (int i = 99; i >= 0; i--) {
            hops.record(from + 20L * i, i + 1);
        }

        // The 50th of 100 hops is 50 ms, the 99th 99 ms; the first 50 records (0..980 ms) fall
        // in second 0, whose slowest is 50 ms; the rest in second 1.
        assertThat(hops.describe(from, 2))
                .isEqualTo(
                        "100 records, p50 / p99 / max 50 / 99 / 100 ms; slowest per second of"
                                + " produce time (ms): [50, 100, 0]");
    }

    @Test
    void shouldKeepTheQuickestHopOfEachProduceMillisecond() {
        Hops hops = new Hops();
        hops.record(100, 7);
        hops.record(100, 3);
        hops.record(101, 9);

        assertThat(hops.smallestByProduceMillis())
                .containsExactlyInAnyOrderEntriesOf(Map.of(100L, 3L, 101L, 9L));
    }

    @Test
    void shouldSayWhenNoMeasuredRecordGotThere() {
        Hops hops = new Hops();
        hops.record(10, 3);

        assertThat(hops.describe(20, 1)).isEqualTo("no records produced from then on got there");
    }
}
