package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RowProgressTest {

    @Test
    void countsTheRowsWrittenFromTheWindowsStartUpToButNotIncludingItsEnd() {
        List<long[]> rows =
                List.of(
                        new long[] {999, 1},
                        new long[] {1_000, 2},
                        new long[] {1_500, 3},
                        new long[] {1_999, 4},
                        new long[] {2_000, 5},
                        new long[] {5_000, 6});

        assertThat(RowProgress.rowsWrittenBetween(rows, 1_000, 2_000)).isEqualTo(3);
        assertThat(RowProgress.rowsWrittenBetween(rows, 0, 10_000)).isEqualTo(6);
        assertThat(RowProgress.rowsWrittenBetween(rows, 2_001, 4_999)).isZero();
    }

    @Test
    void theClockCountsMicrosecondsSinceTheEpochAsCassandrasWriteTimesDo() {
        long before = System.currentTimeMillis();
        long micros = RowProgress.nowMicros();
        long after = System.currentTimeMillis();

        assertThat(micros).isBetween(before * 1_000, (after + 1) * 1_000 - 1);
    }

    @Test
    void markersAreFourConsecutiveIdsOrFewerAtTheEnd() {
        List<String> ids = List.of("a", "b", "c", "d", "e", "f");

        assertThat(EndToEndBenchmark.markers(ids, 1)).containsExactly("b", "c", "d", "e");
        assertThat(EndToEndBenchmark.markers(ids, 4)).containsExactly("e", "f");
    }
}
