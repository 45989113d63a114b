package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScheduleLagTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldCountRecordsSentMoreThanATenthOfASecondLate() {
        ScheduleLag lag = new ScheduleLag();
        lag.record(0, 0); // on time
        lag.record(10 * MS, 5 * MS); // early: no lag
        lag.record(20 * MS, 120 * MS); // 100 ms late: not more than 100
        lag.record(30 * MS, 131 * MS); // 101 ms late
        lag.record(40 * MS, 5_040 * MS); // 5 s late

        assertThat(lag.late()).isEqualTo(2);
        assertThat(lag.maxMillis()).isEqualTo(5_000);
        assertThat(lag.describe())
                .isEqualTo(
                        "WARNING: the producer sent 2 of 5 measured records more than 100 ms"
                                + " behind its schedule (at most 5000 ms): the offered rate was"
                                + " not steady");
    }

    @Test
    void shouldSayTheScheduleWasKeptWhenNoRecordWasLate() {
        ScheduleLag lag = new ScheduleLag();
        lag.record(0, 3 * MS);
        lag.record(10 * MS, 10 * MS);

        assertThat(lag.late()).isZero();
        assertThat(lag.describe())
                .isEqualTo("the producer kept its schedule (2 records, at most 3 ms behind)");
    }
}
