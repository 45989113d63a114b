package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.util.FileUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWatchTest {
    @Test
    void shouldStampEachCheckpointWhenItBeganAndWhenItCompletedOrWasAborted(@TempDir Path root)
            throws Exception {
        Path job = root.resolve("job-id");
        CheckpointWatch watch = new CheckpointWatch(job);

        watch.pollOnce(900); // the job has no checkpoint directory yet
        Files.createDirectories(job.resolve("chk-1"));
        Files.createDirectories(job.resolve("shared"));
        watch.pollOnce(1_000);
        Files.createFile(job.resolve("chk-1").resolve("_metadata"));
        Files.createDirectories(job.resolve("chk-2"));
        watch.pollOnce(1_200);
        watch.pollOnce(1_300); // nothing new: every stamp stays
        FileUtils.deleteDirectory(job.resolve("chk-2").toFile()); // gone without metadata
        watch.pollOnce(1_600);
        FileUtils.deleteDirectory(job.resolve("chk-1").toFile()); // retention of a completed one
        Files.createDirectories(job.resolve("chk-3"));
        watch.pollOnce(2_000);
        Files.createDirectories(job.resolve("chk-12"));
        watch.pollOnce(9_000);

        assertThat(watch.between(500, 5_000)).isEqualTo("[0.5-0.7, 0.7-aborted 1.1, 1.5-]");
        // Begun before the window, completed inside it: shown, at a negative start.
        assertThat(watch.between(1_100, 5_000)).isEqualTo("[-0.1-0.1, 0.1-aborted 0.5, 0.9-]");
        assertThat(watch.between(8_000, 10_000)).isEqualTo("[1.0-]");
    }

    @Test
    void shouldListOnItsOwnThreadUntilClosed(@TempDir Path job) throws Exception {
        Files.createDirectories(job.resolve("chk-7"));
        CheckpointWatch watch = CheckpointWatch.start(job);
        long deadline = System.currentTimeMillis() + 5_000;
        while (watch.between(0, Long.MAX_VALUE).equals("[]")
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }

        watch.close();

        assertThat(watch.between(0, Long.MAX_VALUE)).matches("\\[\\d+\\.\\d-\\]");
        assertThat(watch.isRunning()).isFalse();
    }
}
