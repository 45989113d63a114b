package org.imagestream.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;

/**
 * The state backend {@code flink-conf/} ships, for code that runs Flink state outside a standalone
 * TaskManager (a MiniCluster, an operator test harness) and must run it as that TaskManager would:
 * the same options, and the managed memory (RocksDB's budget) one slot of it gets.
 */
public final class ShippedStateBackend {
    private ShippedStateBackend() {}

    /** {@code flink-conf/} as shipped (the directory the tests and benchmarks run from). */
    public static Configuration flinkConf() {
        return GlobalConfiguration.loadConfiguration(
                System.getProperty("imagestream.flink.conf", "flink-conf"));
    }

    /**
     * The state backend's options of {@code flinkConf}: every {@code state.backend.*} key and
     * whether checkpoints are incremental.
     */
    public static Configuration options(Configuration flinkConf) {
        Configuration options = new Configuration();
        flinkConf
                .toMap()
                .forEach(
                        (key, value) -> {
                            if (key.startsWith("state.backend.")
                                    || key.equals("execution.checkpointing.incremental")) {
                                options.setString(key, value);
                            }
                        });
        return options;
    }

    /**
     * The managed memory one slot of a TaskManager started with {@code flinkConf} gets, by Flink's
     * own arithmetic on its process size, fractions and slots.
     */
    public static MemorySize managedMemoryPerSlot(Configuration flinkConf) {
        long managed =
                TaskExecutorProcessUtils.processSpecFromConfig(flinkConf)
                        .getManagedMemorySize()
                        .getBytes();
        return new MemorySize(managed / flinkConf.get(TaskManagerOptions.NUM_TASK_SLOTS));
    }
}
