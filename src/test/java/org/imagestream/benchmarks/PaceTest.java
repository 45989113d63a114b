package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PaceTest {
    @Test
    void shouldStartOneImageEveryIntervalOrABurstEveryBurstOfIntervals() {
        // 100 images/s: one every 10 ms.
        Pace single = Pace.parse("100");
        assertThat(single.dueNanos(0)).isZero();
        assertThat(single.dueNanos(1)).isEqualTo(10_000_000L);
        assertThat(single.dueNanos(7)).isEqualTo(70_000_000L);

        // The same 100 images/s in bursts of 4: images 0-3 at 0, 4-7 at 40 ms, 8 at 80 ms.
        Pace bursts = Pace.parse("100x4");
        assertThat(bursts.burst()).isEqualTo(4);
        assertThat(bursts.dueNanos(3)).isZero();
        assertThat(bursts.dueNanos(4)).isEqualTo(40_000_000L);
        assertThat(bursts.dueNanos(7)).isEqualTo(40_000_000L);
        assertThat(bursts.dueNanos(8)).isEqualTo(80_000_000L);

        // 0: no pacing at all.
        assertThat(Pace.parse("0")).isEqualTo(Pace.FLAT_OUT);
        assertThat(Pace.FLAT_OUT.dueNanos(1_000)).isZero();
        assertThat(Pace.parse("113.5x6").toString())
                .isEqualTo("paced at 113.5 img/s in bursts of 6");
    }

    @Test
    void shouldRefuseANegativeRateAnEmptyBurstOrBurstsWhenFlatOut() {
        assertThatThrownBy(() -> Pace.parse("-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Pace.parse("100x0")).isInstanceOf(IllegalArgumentException.class);
        // Flat out has no bursts.
        assertThatThrownBy(() -> Pace.parse("0x4")).isInstanceOf(IllegalArgumentException.class);
    }
}
