package org.imagestream.testing;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/**
 * This JVM's CPU time, all threads (native ones too: TensorFlow's pools, RocksDB's flushes and
 * compactions), for benchmarks that charge a piece of work with everything the process spent on it.
 */
public final class ProcessCpu {
    private ProcessCpu() {}

    /** CPU time of the whole process so far, in nanoseconds. */
    public static long nanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
