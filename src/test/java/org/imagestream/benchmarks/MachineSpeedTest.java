package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachineSpeedTest {
    @Test
    void shouldReportEachThreadAndTheSum() {
        String line = MachineSpeed.reportLine("latency 90 %", new double[] {812.4, 790.6});

        assertThat(line)
                .isEqualTo(
                        "- latency 90 %: machine speed before it started, SHA-256 on 2 threads at"
                                + " once: 812 + 791 = 1603 MB/s\n");
    }

    @Test
    void shouldMeasureEveryThread() throws Exception {
        double[] perThread = MachineSpeed.sha256PerThread(2, 100);

        // Any core of this century hashes between 10 MB/s and 100 GB/s.
        assertThat(perThread).hasSize(2);
        for (double rate : perThread) {
            assertThat(rate).isBetween(10.0, 1e5);
        }
    }
}
