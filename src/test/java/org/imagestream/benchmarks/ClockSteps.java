package org.imagestream.benchmarks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Steps of the wall clock against the monotonic one, watched from this JVM every 10 ms. On this
 * benchmark's virtual machines a pause of the whole machine (the hypervisor stopping its vCPUs)
 * stops the monotonic clock with it, and the wall clock is set forward afterwards: in session 40's
 * logs both local servers' GC logs, whose lines carry both clocks, drifted apart by 2.8, 5.3 and
 * 39.3 s within a few minutes, and a latency run's rows from those seconds took as long. Every
 * produce-to-row latency (Kafka's timestamp to Cassandra's write time) and every rate over
 * wall-clock time then holds the pause, which is the machine's, not the job's: the report says when
 * that happened. A step is a change of (wall - monotonic) of more than {@link #THRESHOLD_MILLIS}
 * between two looks; slewing by NTP is far slower, and a pause of this JVM alone (a safepoint)
 * moves both clocks alike.
 */
final class ClockSteps extends PollingThread {
    static final long THRESHOLD_MILLIS = 20;
    private static final long POLL_MILLIS = 10;

    /** {wall-clock millis when seen, step millis (positive: the wall clock moved ahead)}. */
    private final List<long[]> steps = new ArrayList<>();

    private boolean observed;
    private long lastOffsetMillis;

    /** Not yet watching; {@link #start} starts the thread. */
    ClockSteps() {
        super("clock-steps", POLL_MILLIS);
    }

    static ClockSteps start() {
        ClockSteps watch = new ClockSteps();
        watch.startPolling();
        return watch;
    }

    @Override
    void pollOnce(long nowMillis) {
        // The wall clock read between two monotonic readings close together: a thread that lost
        // its CPU between the reads would see a step that never was (and its reverse next time).
        long before = System.nanoTime();
        long wall = System.currentTimeMillis();
        long after = System.nanoTime();
        if (after - before < 2_000_000L) {
            observe(wall, before + (after - before) / 2);
        }
    }

    /** One look at both clocks. */
    synchronized void observe(long wallMillis, long monotonicNanos) {
        long offset = wallMillis - monotonicNanos / 1_000_000;
        if (observed && Math.abs(offset - lastOffsetMillis) > THRESHOLD_MILLIS) {
            steps.add(new long[] {wallMillis, offset - lastOffsetMillis});
        }
        observed = true;
        lastOffsetMillis = offset;
    }

    /**
     * Whether the wall clock stepped after {@code fromMillis} and at or before {@code untilMillis}.
     */
    synchronized boolean steppedBetween(long fromMillis, long untilMillis) {
        for (long[] step : steps) {
            if (step[0] > fromMillis && step[0] <= untilMillis) {
                return true;
            }
        }
        return false;
    }

    /**
     * The steps seen in ({@code fromMillis}, {@code untilMillis}], e.g. {@code "2 steps of the wall
     * clock ...: +2810 ms at second 7.9 (2026-12-05T01:15:43.400Z), ..."} (seconds after {@code
     * fromMillis}, then when it was seen), or that there were none.
     */
    synchronized String describe(long fromMillis, long untilMillis) {
        StringJoiner seen = new StringJoiner(", ");
        int count = 0;
        for (long[] step : steps) {
            if (step[0] > fromMillis && step[0] <= untilMillis) {
                count++;
                seen.add(
                        String.format(
                                Locale.ROOT,
                                "%+d ms at second %.1f (%s)",
                                step[1],
                                (step[0] - fromMillis) / 1000.0,
                                Instant.ofEpochMilli(step[0])));
            }
        }
        if (count == 0) {
            return "the wall clock kept to the monotonic one (no step over "
                    + THRESHOLD_MILLIS
                    + " ms)"
                    + failureNote();
        }
        return count
                + (count == 1 ? " step" : " steps")
                + " of the wall clock against the monotonic one (a paused virtual machine): "
                + seen
                + failureNote();
    }
}
