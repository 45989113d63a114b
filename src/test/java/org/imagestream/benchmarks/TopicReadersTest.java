package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicReadersTest {
    @Test
    void shouldDescribeOnlyTheHopsOfRecordsProducedFromTheGivenTime() {
        long from = 1_700_000_000_000L;
        List<long[]> hops = new ArrayList<>();
        // Warm-up records before the measured ones: slow, and left out.
        hops.add(new long[] {from - 1, 5_000});
        hops.add(new long[] {from - 700, 4_000});
        // 100 measured records, one every 20 ms (two seconds), hops of 1..100 ms in order.
        for (int i = 0; i < 100; i++) {
            hops.add(new long[] {from + 20L * i, i + 1});
        }

        // Record 50 (the 50th of 100) has the median hop 50 ms, the 99th 99 ms; the first 50
        // records (0..980 ms) fall in second 0, whose slowest is 50 ms; the rest in second 1.
        assertThat(TopicReaders.describe(hops, from, 2))
                .isEqualTo(
                        "100 records, p50 / p99 / max 50 / 99 / 100 ms; slowest per second of"
                                + " produce time (ms): [50, 100, 0]");
    }

    @Test
    void shouldSayWhenNoMeasuredRecordWasRead() {
        assertThat(TopicReaders.describe(List.of(new long[] {10, 3}), 20, 1))
                .isEqualTo("no records produced from then on were read");
    }
}
