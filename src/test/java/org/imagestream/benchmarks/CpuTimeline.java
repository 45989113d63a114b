package org.imagestream.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each process's CPU per second of a latency run, from {@code /proc} read every 250 ms by a thread
 * of its own, so that a second whose rows were slow can be set beside what the processes were doing
 * then (Cassandra flushing, compacting or spinning between requests; a stall of the job alone
 * leaves the cores idle).
 */
final class CpuTimeline extends PollingThread {
    private static final long POLL_MILLIS = 250;

    private final Map<String, Long> pids;

    /** Per sample: wall-clock millis, then each process's CPU seconds so far, in pids' order. */
    private final List<double[]> samples = new ArrayList<>();

    /** Not yet sampling; {@link #start} starts the thread. */
    CpuTimeline(Map<String, Long> pids) {
        super("cpu-timeline", POLL_MILLIS);
        this.pids = new LinkedHashMap<>(pids);
    }

    static CpuTimeline start(Map<String, Long> pids) {
        CpuTimeline timeline = new CpuTimeline(pids);
        timeline.startPolling();
        return timeline;
    }

    /** A process gone stops the sampling: the seconds after show -1. */
    @Override
    void pollOnce(long nowMillis) throws IOException {
        double[] cpu = new double[pids.size()];
        int i = 0;
        for (long pid : pids.values()) {
            cpu[i++] = CpuProfile.cpuSeconds(pid);
        }
        record(nowMillis, cpu);
    }

    /** One sample: each process's CPU seconds so far at {@code millis}, in the pids' order. */
    synchronized void record(long millis, double[] cpuSeconds) {
        double[] sample = new double[cpuSeconds.length + 1];
        sample[0] = millis;
        System.arraycopy(cpuSeconds, 0, sample, 1, cpuSeconds.length);
        samples.add(sample);
    }

    /**
     * Per process, its CPU in each whole second from {@code fromMillis} on, in per cent of one
     * core, {@code seconds} of them: the CPU between the samples nearest each second's two ends
     * over the time between them, e.g. {@code "Kafka [12, 15, 80]"} one line per process. A second
     * without a sample at either end shows -1.
     */
    synchronized String perSecond(long fromMillis, int seconds) {
        StringBuilder lines = new StringBuilder();
        int column = 1;
        for (String name : pids.keySet()) {
            List<Long> percents = new ArrayList<>();
            for (int second = 0; second < seconds; second++) {
                double[] start = nearest(fromMillis + second * 1000L);
                double[] end = nearest(fromMillis + (second + 1) * 1000L);
                if (start == null || end == null || end[0] <= start[0]) {
                    percents.add(-1L);
                } else {
                    percents.add(
                            Math.round(
                                    (end[column] - start[column])
                                            * 1000
                                            * 100
                                            / (end[0] - start[0])));
                }
            }
            lines.append(name).append(' ').append(percents).append('\n');
            column++;
        }
        String failed = failureNote();
        if (!failed.isEmpty()) {
            lines.append(failed.strip()).append('\n');
        }
        return lines.toString();
    }

    /** The sample closest in time to {@code millis}, if within a poll interval of it. */
    private double[] nearest(long millis) {
        double[] best = null;
        for (double[] sample : samples) {
            if (Math.abs(sample[0] - millis) <= POLL_MILLIS
                    && (best == null
                            || Math.abs(sample[0] - millis) < Math.abs(best[0] - millis))) {
                best = sample;
            }
        }
        return best;
    }
}
