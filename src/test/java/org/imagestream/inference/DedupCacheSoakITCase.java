package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.imagestream.config.JobOptions;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.testing.ProcessCpu;
import org.imagestream.testing.ShippedFlinkConf;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.InfoLogLevel;

/**
 * Soak (Maven profile {@code soak}, not the default run): the dedup cache as a TaskManager slot
 * keeps it with {@code flink-conf/} (RocksDB, incremental checkpoints, the slot's managed memory)
 * and the job's default TTL, through {@link #RUN} of a job classifying {@link #IMAGES_PER_SECOND}
 * new images a second, on a simulated clock: each image is looked up (a miss) and remembered, and
 * at each of flink-conf/'s checkpoint intervals of that clock a checkpoint is taken and confirmed,
 * as the job's are. Nothing removes entries but their TTL, which in RocksDB takes effect when
 * RocksDB compacts the files holding them; one TTL's images (864,000 at the defaults) should
 * therefore be what the store holds once the first TTL has passed, plus what compaction has not
 * reached yet.
 *
 * <p>Prints, per 10 simulated minutes, the entries RocksDB holds, the size of its files, the
 * process's CPU per checkpoint interval, the CPU and bytes of RocksDB's compactions in it (from the
 * events of RocksDB's information log, which the test turns on) and what the checkpoints wrote
 * (docs/benchmarks.md, "Dedup cache"). Asserts that the store never holds 1.25 times one TTL's
 * images (it would hold twice as many by the end of the second TTL if nothing expired) and that,
 * once compacted at the end, it holds exactly the images of the last TTL, which are hits while
 * older ones are not. The checkpoints stay in the temporary directory until the end: about 9 GB.
 */
class DedupCacheSoakITCase {
    private static final Duration RUN = Duration.ofHours(3);
    private static final int IMAGES_PER_SECOND = 240;
    private static final Duration TTL = JobOptions.DEDUP_TTL.defaultValue();
    private static final int SHARDS = JobOptions.ROUTING_SHARDS.defaultValue();
    private static final Duration CHECKPOINT_INTERVAL =
            ShippedFlinkConf.load().get(CheckpointingOptions.CHECKPOINTING_INTERVAL);
    private static final int INTERVALS_PER_REPORT =
            (int) (Duration.ofMinutes(10).toMillis() / CHECKPOINT_INTERVAL.toMillis());
    private static final int SAMPLE_EVERY = 997;

    private static final int IMAGES_PER_INTERVAL =
            (int) (IMAGES_PER_SECOND * CHECKPOINT_INTERVAL.toMillis() / 1000);

    /**
     * One remembered image: its hash and shard, and the interval (clock tick) it was written in.
     */
    private record Sample(String hash, String shard, int interval) {}

    @Test
    void shouldHoldOnlyTheLastTtlOfImagesInRocksDbHourAfterHour(@TempDir Path files)
            throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        Prediction prediction = CacheWorkload.prediction(spec, new Random(1));
        Random random = new Random(11);
        List<Sample> samples = new ArrayList<>();
        long mostEntries = 0;
        long foundNew = 0;
        long allCheckpointBytes = 0;
        int intervals = (int) (RUN.toMillis() / CHECKPOINT_INTERVAL.toMillis());
        Path db = files.resolve("db");
        // Without expiry the store would hold two TTLs' worth from 2 x TTL on: the run must last
        // longer for the bound below to mean anything.
        assertThat(RUN).as("the simulated run").isGreaterThan(TTL.multipliedBy(2));

        try (var harness = CacheWorkload.harness(files.resolve("checkpoints"))) {
            // RocksDB's information log on (flink-conf/ leaves Flink's default, next to nothing)
            // for its compaction events (a little logging CPU the shipped config does not have).
            Configuration infoLog = new Configuration();
            infoLog.set(RocksDBConfigurableOptions.LOG_LEVEL, InfoLogLevel.INFO_LEVEL);
            harness.setStateBackend(ShippedFlinkConf.rocksDbOfOneSlot(db, infoLog));
            harness.open();
            var backend =
                    ((AbstractStreamOperator<?>) harness.getOperator()).getKeyedStateBackend();
            // Every entry in the store, expired or not (the harness counts heap state only).
            var rocksDb = (RocksDBKeyedStateBackend<?>) backend;
            DedupCache cache = DedupCache.open(backend, TTL);
            DecodedImage image = new DecodedImage();
            image.originalWidth = 1200;
            image.originalHeight = 800;

            System.out.printf(
                    "%n| simulated time | entries in RocksDB | SST MiB | process CPU ms per"
                            + " interval | of which compactions' merging | compactions wrote KiB per"
                            + " interval"
                            + " | checkpoint KiB written, mean (max) |%n|---|---|---|---|---|---|---|%n");
            long[] compactionsAtReport = Compactions.sinceStart(db);
            long cpuAtReport = ProcessCpu.nanos();
            // What this thread spent on the last report (counting the store, reading RocksDB's
            // log): inside the process's CPU since then, not part of the cache's work. RocksDB's
            // threads go on meanwhile, so the windows are contiguous rather than paused.
            long reportingCpu = 0;
            long checkpointBytes = 0;
            long maxCheckpointBytes = 0;
            long imageCount = 0;
            for (int interval = 0; interval < intervals; interval++) {
                harness.setStateTtlProcessingTime(interval * CHECKPOINT_INTERVAL.toMillis());
                for (int i = 0; i < IMAGES_PER_INTERVAL; i++) {
                    image.contentSha256 = CacheWorkload.randomHash(random);
                    String shard = "shard-" + random.nextInt(SHARDS);
                    backend.setCurrentKey(shard);
                    if (cache.lookup(image, spec) != null) {
                        foundNew++;
                    }
                    cache.remember(image, spec, prediction, List.of());
                    if (imageCount++ % SAMPLE_EVERY == 0) {
                        samples.add(new Sample(image.contentSha256, shard, interval));
                    }
                }
                long checkpoint = interval + 1;
                long written = harness.snapshot(checkpoint, checkpoint).getCheckpointedSize();
                harness.notifyOfCompletedCheckpoint(checkpoint);
                checkpointBytes += written;
                allCheckpointBytes += written;
                maxCheckpointBytes = Math.max(maxCheckpointBytes, written);
                if ((interval + 1) % INTERVALS_PER_REPORT == 0) {
                    long cpu = ProcessCpu.nanos();
                    double cpuPerInterval =
                            (cpu - cpuAtReport - reportingCpu) / 1e6 / INTERVALS_PER_REPORT;
                    long reportingStarted = threadCpuNanos();
                    long[] compactions = Compactions.sinceStart(db);
                    long entries = rocksDb.numKeyValueStateEntries();
                    mostEntries = Math.max(mostEntries, entries);
                    System.out.printf(
                            "| %d min | %,d | %.1f | %.1f | %.1f | %,d | %,d (%,d) |%n",
                            (interval + 1) * CHECKPOINT_INTERVAL.toSeconds() / 60,
                            entries,
                            sstBytes(db) / 1048576.0,
                            cpuPerInterval,
                            (compactions[0] - compactionsAtReport[0]) / 1e3 / INTERVALS_PER_REPORT,
                            (compactions[1] - compactionsAtReport[1]) / 1024 / INTERVALS_PER_REPORT,
                            checkpointBytes / INTERVALS_PER_REPORT / 1024,
                            maxCheckpointBytes / 1024);
                    compactionsAtReport = compactions;
                    cpuAtReport = cpu;
                    reportingCpu = threadCpuNanos() - reportingStarted;
                    checkpointBytes = 0;
                    maxCheckpointBytes = 0;
                }
            }

            // Half an interval after the last one, so no image's expiry falls on the clock itself.
            long now =
                    (intervals - 1) * CHECKPOINT_INTERVAL.toMillis()
                            + CHECKPOINT_INTERVAL.toMillis() / 2;
            harness.setStateTtlProcessingTime(now);
            rocksDb.compactState(
                    new ValueStateDescriptor<>(DedupCache.STATE_NAME, CachedPrediction.class));
            long compacted = rocksDb.numKeyValueStateEntries();
            System.out.printf(
                    "compacted at the end: %,d entries, %.1f SST MiB; the checkpoints wrote %.1f GB"
                            + " in all%n",
                    compacted, sstBytes(db) / 1048576.0, allCheckpointBytes / 1e9);

            int live = 0;
            List<Sample> liveMissed = new ArrayList<>();
            List<Sample> expiredFound = new ArrayList<>();
            for (Sample sample : samples) {
                boolean writtenWithinTtl =
                        sample.interval * CHECKPOINT_INTERVAL.toMillis() + TTL.toMillis() > now;
                image.contentSha256 = sample.hash;
                backend.setCurrentKey(sample.shard);
                boolean found = cache.lookup(image, spec) != null;
                if (writtenWithinTtl) {
                    live++;
                    if (!found) {
                        liveMissed.add(sample);
                    }
                } else if (found) {
                    expiredFound.add(sample);
                }
            }

            long imagesPerTtl = IMAGES_PER_SECOND * TTL.toSeconds();
            assertThat(compacted).as("entries after the final compaction").isEqualTo(imagesPerTtl);
            assertThat(live).as("samples of the last TTL").isGreaterThan(100);
            assertThat(samples.size() - live).as("older samples").isGreaterThan(100);
            assertThat(liveMissed).as("images of the last TTL that missed").isEmpty();
            assertThat(expiredFound).as("images older than the TTL that were found").isEmpty();
            assertThat(foundNew).as("new hashes found in the cache").isZero();
            assertThat(Compactions.sinceStart(db)[1])
                    .as("bytes written by compactions, from RocksDB's log")
                    .isPositive();
            // Once the first TTL has passed, expired entries must leave about as fast as new ones
            // come: without expiry the store would hold two TTLs' worth by 2 x TTL; with the level
            // sizes flink-conf/ ships it held at most 1.04 times one TTL's, with 32 MB levels up
            // to 1.74 times (docs/benchmarks.md, "Dedup cache").
            assertThat(mostEntries)
                    .as("most entries the store held at any 10-minute report")
                    .isLessThan(imagesPerTtl * 5 / 4);
        }
    }

    /**
     * RocksDB's compactions so far, from the compaction events of its information log under the
     * database directory: CPU microseconds of their merging ({@code compaction_time_cpu_micros}:
     * not the opening of the files written, nor deleting the old ones), bytes written. The log
     * stays there while the {@code log.file} property is unset, as in this test's JVM; the test
     * fails if it finds no compaction at all.
     */
    private static final class Compactions {
        private static final Pattern FINISHED =
                Pattern.compile(
                        "\"event\": \"compaction_finished\".*\"compaction_time_cpu_micros\":"
                                + " (\\d+).*\"total_output_size\": (\\d+)");

        static long[] sinceStart(Path db) throws IOException {
            long[] sums = new long[2];
            List<Path> logs;
            try (Stream<Path> paths = Files.walk(db)) {
                logs = paths.filter(path -> path.getFileName().toString().contains("LOG")).toList();
            }
            for (Path log : logs) {
                try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    lines.map(FINISHED::matcher)
                            .filter(Matcher::find)
                            .forEach(
                                    found -> {
                                        sums[0] += Long.parseLong(found.group(1));
                                        sums[1] += Long.parseLong(found.group(2));
                                    });
                }
            }
            return sums;
        }
    }

    private static long threadCpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** What RocksDB's table files under {@code db} take on disk. */
    private static long sstBytes(Path db) throws IOException {
        try (Stream<Path> paths = Files.walk(db)) {
            return paths.filter(path -> path.toString().endsWith(".sst"))
                    .mapToLong(path -> path.toFile().length())
                    .sum();
        }
    }
}
