package org.imagestream.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** MiniCluster set-ups shared by the integration tests. */
public final class TestFlink {
    private TestFlink() {}

    /** One TaskManager with {@code slots} slots; a failure fails the test with its cause. */
    public static MiniClusterExtension withoutRestarts(int slots) {
        Configuration configuration = new Configuration();
        configuration.setString("restart-strategy.type", "none");
        return cluster(slots, configuration);
    }

    /**
     * As {@link #withoutRestarts}, with every metric captured by {@link CapturingMetricReporter}.
     */
    public static MiniClusterExtension withoutRestartsCapturingMetrics(int slots) {
        Configuration configuration = new Configuration();
        configuration.setString("restart-strategy.type", "none");
        CapturingMetricReporter.configure(configuration);
        return cluster(slots, configuration);
    }

    /**
     * One TaskManager with {@code slots} slots that restarts failed jobs every 2 s (fault drills).
     */
    public static MiniClusterExtension withRestarts(int slots) {
        Configuration configuration = new Configuration();
        configuration.setString("restart-strategy.type", "fixed-delay");
        configuration.setString("restart-strategy.fixed-delay.attempts", "1000");
        configuration.setString("restart-strategy.fixed-delay.delay", "2 s");
        return cluster(slots, configuration);
    }

    /** As {@link #withRestarts}, with every metric captured by {@link CapturingMetricReporter}. */
    public static MiniClusterExtension withRestartsCapturingMetrics(int slots) {
        Configuration configuration = new Configuration();
        configuration.setString("restart-strategy.type", "fixed-delay");
        configuration.setString("restart-strategy.fixed-delay.attempts", "1000");
        configuration.setString("restart-strategy.fixed-delay.delay", "2 s");
        CapturingMetricReporter.configure(configuration);
        return cluster(slots, configuration);
    }

    private static MiniClusterExtension cluster(int slots, Configuration configuration) {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(slots)
                        .setConfiguration(configuration)
                        .build());
    }
}
