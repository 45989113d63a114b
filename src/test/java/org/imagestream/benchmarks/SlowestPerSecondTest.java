package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlowestPerSecondTest {
    @Test
    void shouldKeepTheSlowestOfEachSecondAndGatherLateRecordsAtTheEnd() {
        SlowestPerSecond slowest = new SlowestPerSecond(3);

        slowest.record(0, 40);
        slowest.record(999, 70);
        slowest.record(1_000, 30);
        slowest.record(1_500, 20);
        slowest.record(2_999, -5); // a clock difference below zero counts as 0
        slowest.record(3_000, 15); // after the 3 measured seconds
        slowest.record(9_000, 60);

        assertThat(slowest).hasToString("[70, 30, 0, 60]");
    }
}
