package org.imagestream.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * When a job's checkpoints began and completed, seen from outside the job: Flink's checkpoint
 * storage creates {@code chk-N} under the job's directory when checkpoint N is triggered and writes
 * {@code chk-N/_metadata} when it completes, so a thread that lists the directory every 50 ms sees
 * both to within that (a listing costs tens of microseconds of this JVM's CPU). Lets a latency
 * run's slowest rows per second be set beside the job's checkpoints.
 */
final class CheckpointWatch implements AutoCloseable {
    private static final long POLL_MILLIS = 50;

    /** Checkpoint id -> {first seen millis, _metadata first seen millis or 0}. */
    private final Map<Long, long[]> seen = new TreeMap<>();

    private final Path jobDirectory;
    private final Thread thread;
    private volatile boolean stopped;

    /** Not yet polling; {@link #start} starts the thread. */
    CheckpointWatch(Path jobDirectory) {
        this.jobDirectory = jobDirectory;
        this.thread = new Thread(this::run, "checkpoint-watch");
        this.thread.setDaemon(true);
    }

    /** Starts watching {@code jobDirectory} (which need not exist yet). */
    static CheckpointWatch start(Path jobDirectory) {
        CheckpointWatch watch = new CheckpointWatch(jobDirectory);
        watch.thread.start();
        return watch;
    }

    private void run() {
        while (!stopped) {
            poll(System.currentTimeMillis());
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One listing: new checkpoints and newly completed ones, stamped {@code nowMillis}. */
    synchronized void poll(long nowMillis) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(jobDirectory, "chk-*")) {
            for (Path entry : entries) {
                long id;
                try {
                    id = Long.parseLong(entry.getFileName().toString().substring(4));
                } catch (NumberFormatException e) {
                    continue;
                }
                long[] times = seen.computeIfAbsent(id, any -> new long[] {nowMillis, 0});
                if (times[1] == 0 && Files.exists(entry.resolve("_metadata"))) {
                    times[1] = nowMillis;
                }
            }
        } catch (NoSuchFileException e) {
            // Not created yet: the job has not taken its first checkpoint.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The checkpoints seen between {@code fromMillis} and {@code untilMillis}, as seconds after
     * {@code fromMillis}: "12.3-12.5" (began, completed), "12.3-" if not seen completing, e.g.
     * {@code [2.1-2.3, 7.1-7.6]}. Checkpoints Flink removed before the first listing are missed.
     */
    synchronized String between(long fromMillis, long untilMillis) {
        List<String> spans = new ArrayList<>();
        for (long[] times : seen.values()) {
            if (times[0] < fromMillis || times[0] > untilMillis) {
                continue;
            }
            String began = String.format(Locale.ROOT, "%.1f", (times[0] - fromMillis) / 1000.0);
            String completed =
                    times[1] == 0
                            ? ""
                            : String.format(Locale.ROOT, "%.1f", (times[1] - fromMillis) / 1000.0);
            spans.add(began + "-" + completed);
        }
        return spans.toString();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join();
    }
}
