package org.imagestream.testing;

import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.state.rocksdb.RocksDBOptions;

/**
 * The project's {@code flink-conf/} as shipped, for tests and benchmarks: where it is (the build's
 * {@code imagestream.flink.conf}, else {@code flink-conf} under the working directory), and what
 * code that runs Flink state outside a standalone TaskManager (a MiniCluster, an operator test
 * harness) needs to run it as that TaskManager would: the state backend's options and the managed
 * memory (RocksDB's budget) one slot gets.
 */
public final class ShippedFlinkConf {
    private ShippedFlinkConf() {}

    /** The directory of {@code flink-conf/}. */
    public static Path directory() {
        return Path.of(System.getProperty("imagestream.flink.conf", "flink-conf"));
    }

    /** {@code flink-conf/config.yaml}, loaded as Flink loads it. */
    public static Configuration load() {
        return GlobalConfiguration.loadConfiguration(directory().toString());
    }

    /**
     * The state backend's options of {@code flinkConf}: every {@code state.backend.*} key and
     * whether checkpoints are incremental.
     */
    public static Configuration stateBackendOptions(Configuration flinkConf) {
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

    /**
     * The RocksDB backend one slot of a TaskManager started with {@code flink-conf/} runs, for an
     * operator test harness (which has no managed memory of its own): the shipped state-backend
     * options and that slot's managed memory as RocksDB's fixed budget, its files under {@code
     * dbPath}.
     */
    public static EmbeddedRocksDBStateBackend rocksDbOfOneSlot(Path dbPath) {
        return rocksDbOfOneSlot(dbPath, new Configuration());
    }

    /** {@link #rocksDbOfOneSlot(Path)} with {@code extra} options over the shipped ones. */
    public static EmbeddedRocksDBStateBackend rocksDbOfOneSlot(Path dbPath, Configuration extra) {
        Configuration flinkConf = load();
        Configuration options = stateBackendOptions(flinkConf);
        options.addAll(extra);
        options.set(RocksDBOptions.FIX_PER_SLOT_MEMORY_SIZE, managedMemoryPerSlot(flinkConf));
        EmbeddedRocksDBStateBackend rocksDb =
                new EmbeddedRocksDBStateBackend()
                        .configure(options, ShippedFlinkConf.class.getClassLoader());
        rocksDb.setDbStoragePath(dbPath.toString());
        return rocksDb;
    }
}
