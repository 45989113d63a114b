package org.imagestream.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * When a job's checkpoints began and completed, seen from outside the job: Flink's checkpoint
 * storage creates {@code chk-N} under the job's directory when checkpoint N is triggered and writes
 * {@code chk-N/_metadata} when it completes, so a thread that lists the directory every 50 ms sees
 * both to within that (about 0.5 % of a core in session 38's runs). A {@code chk-N} that disappears
 * before its {@code _metadata} was seen was aborted. Lets a latency run's slowest rows per second
 * be set beside the job's checkpoints.
 */
final class CheckpointWatch extends PollingThread {
    private static final long POLL_MILLIS = 50;

    /**
     * Checkpoint id -> {first seen millis, _metadata first seen millis or 0, millis it was seen
     * gone without _metadata (aborted) or 0}.
     */
    private final Map<Long, long[]> seen = new TreeMap<>();

    private final Path jobDirectory;

    /** Not yet polling; {@link #start} starts the thread. */
    CheckpointWatch(Path jobDirectory) {
        super("checkpoint-watch", POLL_MILLIS);
        this.jobDirectory = jobDirectory;
    }

    /** Starts watching {@code jobDirectory} (which need not exist yet). */
    static CheckpointWatch start(Path jobDirectory) {
        CheckpointWatch watch = new CheckpointWatch(jobDirectory);
        watch.startPolling();
        return watch;
    }

    /** One listing: new, completed and aborted checkpoints, stamped {@code nowMillis}. */
    @Override
    synchronized void pollOnce(long nowMillis) {
        Set<Long> present = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(jobDirectory, "chk-*")) {
            for (Path entry : entries) {
                long id;
                try {
                    id = Long.parseLong(entry.getFileName().toString().substring(4));
                } catch (NumberFormatException e) {
                    continue;
                }
                present.add(id);
                long[] times = seen.computeIfAbsent(id, any -> new long[] {nowMillis, 0, 0});
                if (times[1] == 0 && Files.exists(entry.resolve("_metadata"))) {
                    times[1] = nowMillis;
                }
            }
        } catch (NoSuchFileException e) {
            // Not created yet: the job has not taken its first checkpoint.
        } catch (IOException | DirectoryIteratorException e) {
            throw new IllegalStateException("cannot list " + jobDirectory, e);
        }
        // Gone without metadata: aborted (a completed one that retention removed keeps its stamp).
        seen.forEach(
                (id, times) -> {
                    if (!present.contains(id) && times[1] == 0 && times[2] == 0) {
                        times[2] = nowMillis;
                    }
                });
    }

    /**
     * The checkpoints that began or ended between {@code fromMillis} and {@code untilMillis}, as
     * seconds after {@code fromMillis}: "12.3-12.5" (began, completed), "12.3-aborted 13.0",
     * "12.3-" if still running when last listed, e.g. {@code [-0.4-0.1, 4.6-4.8]}; and the watch's
     * failure, if it stopped on one.
     */
    synchronized String between(long fromMillis, long untilMillis) {
        List<String> spans = new ArrayList<>();
        for (long[] times : seen.values()) {
            long ended = Math.max(times[1], times[2]);
            boolean inside =
                    (times[0] >= fromMillis && times[0] <= untilMillis)
                            || (ended >= fromMillis && ended <= untilMillis);
            if (!inside) {
                continue;
            }
            String span = seconds(times[0], fromMillis) + "-";
            if (times[1] != 0) {
                span += seconds(times[1], fromMillis);
            } else if (times[2] != 0) {
                span += "aborted " + seconds(times[2], fromMillis);
            }
            spans.add(span);
        }
        return spans + failureNote();
    }

    private static String seconds(long millis, long fromMillis) {
        return String.format(Locale.ROOT, "%.1f", (millis - fromMillis) / 1000.0);
    }
}
