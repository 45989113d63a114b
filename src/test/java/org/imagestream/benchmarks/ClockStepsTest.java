package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClockStepsTest {
    private static final long WALL = 1_700_000_000_000L;
    private static final String NONE =
            "the wall clock kept to the monotonic one (no step over 20 ms)";

    @Test
    void shouldSeeTheWallClockSetForwardAfterThePausedMonotonicClock() {
        ClockSteps steps = new ClockSteps();
        steps.observe(WALL, 5_000_000_000L);
        // 10 ms later on both clocks, then a look 15 ms late on both (this JVM paused): no step.
        steps.observe(WALL + 10, 5_010_000_000L);
        steps.observe(WALL + 35, 5_035_000_000L);
        // The machine paused: 10 ms went by on the monotonic clock, 2,820 ms on the wall clock.
        steps.observe(WALL + 2_855, 5_045_000_000L);
        steps.observe(WALL + 2_865, 5_055_000_000L);
        // Later the wall clock is set back by 30 ms.
        steps.observe(WALL + 4_000, 6_220_000_000L);

        assertThat(steps.describe(WALL, WALL + 10_000))
                .isEqualTo(
                        "2 steps of the wall clock against the monotonic one (forward: most likely"
                                + " a paused virtual machine): +2810 ms at second 2.9"
                                + " (2023-11-14T22:13:22.855Z), -30 ms at second 4.0"
                                + " (2023-11-14T22:13:24Z)");
        assertThat(steps.describe(WALL + 3_000, WALL + 5_000))
                .isEqualTo(
                        "1 step of the wall clock against the monotonic one (forward: most likely"
                                + " a paused virtual machine): -30 ms at second 1.0"
                                + " (2023-11-14T22:13:24Z)");
        // A record spans a step when its produce and write times overlap the two looks around it
        // (WALL + 35 and + 2,855 for the first, + 2,865 and + 4,000 for the second).
        assertThat(steps.steppedBetween(WALL, WALL + 35)).isFalse();
        assertThat(steps.steppedBetween(WALL, WALL + 36)).isTrue();
        assertThat(steps.steppedBetween(WALL + 2_855, WALL + 2_865)).isFalse();
        assertThat(steps.steppedBetween(WALL + 2_864, WALL + 3_999)).isTrue();
    }

    @Test
    void shouldIgnoreDriftBelowTheThreshold() {
        ClockSteps steps = new ClockSteps();
        steps.observe(WALL, 0);
        steps.observe(WALL + 10 + ClockSteps.THRESHOLD_MILLIS, 10_000_000L);

        assertThat(steps.describe(WALL - 1, WALL + 1_000)).isEqualTo(NONE);
    }

    @Test
    void shouldDropALookWhoseMonotonicReadingsAreFarApart() {
        ClockSteps steps = new ClockSteps();
        steps.look(0, WALL, 1_000_000);
        // Read 3 ms apart (this thread lost its CPU in between): not a look, though the wall
        // clock seems 2 s ahead.
        steps.look(10_000_000, WALL + 2_010, 13_000_000);
        steps.look(20_000_000, WALL + 20, 20_500_000);
        assertThat(steps.describe(WALL - 1, WALL + 10_000)).isEqualTo(NONE);

        // Read 0.5 ms apart: a look, and the step it shows counts.
        steps.look(30_000_000, WALL + 2_030, 30_500_000);
        assertThat(steps.describe(WALL - 1, WALL + 10_000))
                .startsWith("1 step of the wall clock")
                .endsWith("+2000 ms at second 2.0 (2023-11-14T22:13:22.030Z)");
    }
}
