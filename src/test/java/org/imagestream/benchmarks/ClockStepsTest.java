package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClockStepsTest {
    private static final long WALL = 1_700_000_000_000L;

    @Test
    void shouldSeeTheWallClockSetForwardAfterThePausedMonotonicClock() {
        ClockSteps steps = new ClockSteps();
        steps.observe(WALL, 5_000_000_000L);
        // 10 ms later on both clocks, then a look 15 ms late on both (this JVM paused): no step.
        steps.observe(WALL + 10, 5_010_000_000L);
        steps.observe(WALL + 35, 5_035_000_000L);
        // The machine paused: 10 ms went by on the monotonic clock, 2,810 ms on the wall clock.
        steps.observe(WALL + 2_855, 5_045_000_000L);
        steps.observe(WALL + 2_865, 5_055_000_000L);
        // Later the wall clock is set back by 30 ms.
        steps.observe(WALL + 4_000, 6_220_000_000L);

        assertThat(steps.describe(WALL, WALL + 10_000))
                .isEqualTo(
                        "2 steps of the wall clock against the monotonic one (a paused virtual"
                                + " machine): +2810 ms at second 2.9 (2023-11-14T22:13:22.855Z), -30"
                                + " ms at second 4.0 (2023-11-14T22:13:24Z)");
        assertThat(steps.steppedBetween(WALL, WALL + 2_854)).isFalse();
        assertThat(steps.steppedBetween(WALL, WALL + 2_855)).isTrue();
        assertThat(steps.steppedBetween(WALL + 2_855, WALL + 3_999)).isFalse();
        assertThat(steps.describe(WALL + 3_000, WALL + 5_000))
                .isEqualTo(
                        "1 step of the wall clock against the monotonic one (a paused virtual"
                                + " machine): -30 ms at second 1.0 (2023-11-14T22:13:24Z)");
    }

    @Test
    void shouldIgnoreDriftBelowTheThreshold() {
        ClockSteps steps = new ClockSteps();
        steps.observe(WALL, 0);
        steps.observe(WALL + 10 + ClockSteps.THRESHOLD_MILLIS, 10_000_000L);

        assertThat(steps.describe(WALL - 1, WALL + 1_000))
                .isEqualTo("the wall clock kept to the monotonic one (no step over 20 ms)");
    }
}
