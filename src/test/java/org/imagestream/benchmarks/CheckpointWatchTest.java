package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWatchTest {
    @Test
    void shouldStampEachCheckpointWhenItsDirectoryAndItsMetadataFirstAppear(@TempDir Path root)
            throws Exception {
        Path job = root.resolve("job-id");
        CheckpointWatch watch = new CheckpointWatch(job);

        watch.poll(900); // the job has no checkpoint directory yet
        Files.createDirectories(job.resolve("chk-1"));
        Files.createDirectories(job.resolve("shared"));
        watch.poll(1_000);
        Files.createFile(job.resolve("chk-1").resolve("_metadata"));
        Files.createDirectories(job.resolve("chk-2"));
        watch.poll(1_250);
        watch.poll(1_300); // nothing new: both stamps stay
        Files.createDirectories(job.resolve("chk-12"));
        watch.poll(9_000);

        assertThat(watch.between(500, 5_000)).isEqualTo("[0.5-0.8, 0.8-]");
        assertThat(watch.between(500, 9_000)).isEqualTo("[0.5-0.8, 0.8-, 8.5-]");
        assertThat(watch.between(1_100, 5_000)).isEqualTo("[0.2-]");
    }
}
