package org.imagestream.benchmarks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Steps of the wall clock against the monotonic one, watched from this JVM every 10 ms. In session
 * 40 the GC logs of both local servers, whose lines carry both clocks, drifted apart by 5.3, 2.8
 * and 39.3 s within three minutes, and a latency run's rows from those seconds took as long: most
 * likely pauses of the whole virtual machine (the monotonic clock stops with it and the wall clock
 * is set forward afterwards), though a wall clock set right after running slow looks the same from
 * inside. Either way every produce-to-row latency (Kafka's timestamp to Cassandra's write time) and
 * every rate over wall-clock time then holds the step, which is the machine's, not the job's: the
 * report says when that happened. A step is a change of (wall - monotonic) of more than {@link
 * #THRESHOLD_MILLIS} between two looks; slewing is far slower, and a pause of this JVM alone (a
 * safepoint) moves both clocks alike.
 */
final class ClockSteps extends PollingThread {
    static final long THRESHOLD_MILLIS = 20;
    private static final long POLL_MILLIS = 10;

    /**
     * {wall-clock millis of the look before it, wall-clock millis when seen, step millis (positive:
     * the wall clock moved ahead)}: it happened somewhere between the two looks.
     */
    private final List<long[]> steps = new ArrayList<>();

    private boolean observed;
    private long lastOffsetMillis;
    private long lastWallMillis;

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
        look(System.nanoTime(), System.currentTimeMillis(), System.nanoTime());
    }

    /**
     * A look: the wall clock read between two monotonic readings. Kept only when those are less
     * than 2 ms apart: a thread that lost its CPU between the reads would see a step that never was
     * (and its reverse at the next look).
     */
    void look(long monotonicBeforeNanos, long wallMillis, long monotonicAfterNanos) {
        if (monotonicAfterNanos - monotonicBeforeNanos < 2_000_000L) {
            observe(
                    wallMillis,
                    monotonicBeforeNanos + (monotonicAfterNanos - monotonicBeforeNanos) / 2);
        }
    }

    /** One look at both clocks, read together. */
    synchronized void observe(long wallMillis, long monotonicNanos) {
        long offset = wallMillis - monotonicNanos / 1_000_000;
        if (observed && Math.abs(offset - lastOffsetMillis) > THRESHOLD_MILLIS) {
            steps.add(new long[] {lastWallMillis, wallMillis, offset - lastOffsetMillis});
        }
        observed = true;
        lastOffsetMillis = offset;
        lastWallMillis = wallMillis;
    }

    /**
     * Whether a step may lie between {@code fromMillis} and {@code untilMillis} (wall clock, e.g. a
     * record's produce and write times): whether the two looks around any step overlap them.
     */
    synchronized boolean steppedBetween(long fromMillis, long untilMillis) {
        for (long[] step : steps) {
            if (fromMillis < step[1] && untilMillis > step[0]) {
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
            if (step[1] > fromMillis && step[1] <= untilMillis) {
                count++;
                seen.add(
                        String.format(
                                Locale.ROOT,
                                "%+d ms at second %.1f (%s)",
                                step[2],
                                (step[1] - fromMillis) / 1000.0,
                                Instant.ofEpochMilli(step[1])));
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
                + " of the wall clock against the monotonic one (forward: most likely a paused"
                + " virtual machine): "
                + seen
                + failureNote();
    }
}
