package org.imagestream.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.commons.io.FileUtils;
import org.imagestream.localstack.CassandraServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.Ports;
import org.imagestream.model.Classification;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;

/**
 * Cassandra's CPU per stored MB under node settings (cassandra.yaml) as well as table options: each
 * variant of each round gets a fresh node started with its settings, is warmed up on other images
 * of the mix, then stores the mix in a fresh keyspace (or, accumulating, window after window into
 * one keyspace under new keys); the node's CPU (/proc) is counted from the first write until the
 * keyspace is flushed and the node has no compaction running or pending, so a variant cannot look
 * cheaper by leaving its work in a memtable or a compaction queue. Run by {@code StorageBenchmark
 * --node-settings true [--node-variants A,B]}.
 */
final class NodeSettingsComparison {
    /**
     * A node configuration and the table options its keyspace is created with. Variants named after
     * an earlier choice spell out the node settings that choice ran with ({@link #onHeap}), so they
     * keep measuring what docs/benchmarks.md says they measured after the local node changed.
     */
    enum Variant {
        /**
         * The schema before table options were chosen, on Cassandra 5.0's default commit log
         * (memory-mapped segments) and memtables (on the heap).
         */
        TODAYS_SCHEMA(
                CassandraSchema.TableOptions.CASSANDRA_DEFAULTS,
                onHeap(Map.of("commitlog_disk_access_mode", "legacy"))),
        /**
         * What the job creates and the local node runs today: the chosen table options, the node as
         * {@link CassandraServer} configures it.
         */
        CHOSEN(CassandraSchema.CHOSEN_OPTIONS, Map.of()),
        /**
         * What shipped from session 8 to 19: blob chunks uncompressed, size-tiered compaction,
         * memtables on the heap (48 MiB).
         */
        UNCOMPRESSED_ON_HEAP(BLOB_CHUNKS_UNCOMPRESSED, onHeap(Map.of())),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, the commit log written with O_DIRECT where the file
         * system allows ({@code auto}; it does here), past the page cache. With periodic sync a
         * segment then waits in the node's own memory until the next sync (every 10 s), so a {@code
         * kill -9} of a single replica loses writes it acknowledged, which memory-mapped segments
         * keep in the page cache.
         */
        DIRECT_COMMITLOG(
                BLOB_CHUNKS_UNCOMPRESSED, onHeap(Map.of("commitlog_disk_access_mode", "auto"))),
        /**
         * As {@link #DIRECT_COMMITLOG}, a write acknowledged only once its segment is synced (group
         * commit in 10 ms windows): nothing acknowledged is lost with the process or the machine.
         */
        DIRECT_COMMITLOG_GROUP_SYNC(
                BLOB_CHUNKS_UNCOMPRESSED,
                onHeap(
                        Map.of(
                                "commitlog_disk_access_mode", "auto",
                                "commitlog_sync", "group",
                                "commitlog_sync_group_window", "10ms",
                                "commitlog_sync_period", "0ms"))),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, blob chunks compacted by UCS with fan-out 8 (a chunk
         * rewritten about half as often as by size-tiered compaction's merges of four): under the
         * end-to-end benchmark's load the local node compacted blob chunks almost without pause.
         */
        UCS_T8_BLOB_CHUNKS(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T8, onHeap(Map.of())),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, with Cassandra's own memtable space for this heap (a
         * quarter of it: 128 MiB of 512 MiB) instead of 48 MiB: with a third of 48 MiB the node
         * flushed a 3-7 MiB sstable of blob chunks every 0.3-0.4 s under the end-to-end mix, and
         * compacted them again and again.
         */
        HEAP_QUARTER_MEMTABLES(
                BLOB_CHUNKS_UNCOMPRESSED, onHeap(Map.of("memtable_heap_space", "128MiB"))),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, blob chunks of 64 KiB: each fits one frame of native
         * protocol v5 (128 KiB), where a 256 KiB chunk is reassembled from several, and Cassandra's
         * memtable slabs (which take values up to 128 KiB) hold it instead of a heap buffer of its
         * own.
         */
        CHUNKS_64KIB(BLOB_CHUNKS_UNCOMPRESSED, onHeap(Map.of()), 64 * 1024),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, blob chunks of 1 MiB (the job's upper bound): fewer
         * requests and rows per stored MB. The local node refuses mutations over 768 KiB, so this
         * node takes 2 MiB.
         */
        CHUNKS_1MIB(
                BLOB_CHUNKS_UNCOMPRESSED, onHeap(Map.of("max_mutation_size", "2MiB")), 1024 * 1024),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, memtable cells and values off the Java heap in a 256
         * MiB pool: room for larger flushes without taking heap from the node.
         */
        OFFHEAP_256_MEMTABLES(BLOB_CHUNKS_UNCOMPRESSED, offHeap256(Map.of())),
        /**
         * The two that each cost a little less in session 18, at once: blob chunks compacted by UCS
         * with fan-out 8, memtables off the heap in a 256 MiB pool. What ships since session 20.
         */
        OFFHEAP_256_UCS_T8(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T8, offHeap256(Map.of())),
        /**
         * As {@link #OFFHEAP_256_UCS_T8} (what ships), blob chunks compacted by UCS with fan-out
         * 16: a chunk goes through fewer merges as the table grows, and a read may consult up to
         * twice as many sstables of a size.
         */
        OFFHEAP_256_UCS_T16(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T16,
                offHeap256(Map.of())),
        /** As {@link #OFFHEAP_256_UCS_T16} with fan-out 32. */
        OFFHEAP_256_UCS_T32(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T32,
                offHeap256(Map.of())),
        /**
         * As {@link #OFFHEAP_256_UCS_T8}, one flush writer instead of Cassandra's two for one data
         * directory: a memtable is then flushed at half of the 256 MiB pool instead of a third
         * (Cassandra's cleanup threshold is 1 / (1 + flush writers)), so blob chunks reach disk in
         * sstables twice as large and fewer of them are merged again.
         */
        OFFHEAP_256_UCS_T8_ONE_FLUSH_WRITER(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_UCS_T8,
                offHeap256(Map.of("memtable_flush_writers", "1"))),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, memtable cells and their values allocated off the Java
         * heap (48 MiB): image bytes are not copied by the garbage collector while they wait for a
         * flush.
         */
        OFFHEAP_MEMTABLES(
                BLOB_CHUNKS_UNCOMPRESSED,
                Map.of(
                        "memtable_allocation_type", "offheap_objects",
                        "memtable_offheap_space", "48MiB")),
        /**
         * As {@link #UNCOMPRESSED_ON_HEAP}, in Cassandra 5's trie-indexed sstable format (BTI),
         * which a node writes only once it no longer promises sstables that 4.x can read.
         */
        BTI_SSTABLES(
                BLOB_CHUNKS_UNCOMPRESSED,
                onHeap(
                        Map.of(
                                "storage_compatibility_mode", "NONE",
                                "sstable", "{selected_format: bti}"))),
        /**
         * As {@link #DIRECT_COMMITLOG}, with Cassandra 5's newer write path at once: off-heap
         * objects (48 MiB) in trie memtables and BTI sstables.
         */
        LATEST(
                CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED_TRIE,
                Map.of(
                        "commitlog_disk_access_mode", "auto",
                        "memtable_allocation_type", "offheap_objects",
                        "memtable_offheap_space", "48MiB",
                        "storage_compatibility_mode", "NONE",
                        "sstable", "{selected_format: bti}"));

        final CassandraSchema.TableOptions tableOptions;
        final Map<String, String> nodeSettings;
        final int chunkSize;

        Variant(CassandraSchema.TableOptions tableOptions, Map<String, String> nodeSettings) {
            this(tableOptions, nodeSettings, CassandraSettings.DEFAULT_CHUNK_SIZE);
        }

        Variant(
                CassandraSchema.TableOptions tableOptions,
                Map<String, String> nodeSettings,
                int chunkSize) {
            this.tableOptions = tableOptions;
            this.nodeSettings = nodeSettings;
            this.chunkSize = chunkSize;
        }

        /** A fresh {@code keyspace} on the node, its tables and chunks as this variant has them. */
        CassandraSettings keyspace(String contactPoint, String keyspace, int inFlight) {
            return StorageBenchmark.settings(
                    contactPoint, keyspace, inFlight, tableOptions, chunkSize);
        }
    }

    private static final CassandraSchema.TableOptions BLOB_CHUNKS_UNCOMPRESSED =
            CassandraSchema.TableOptions.BLOB_CHUNKS_UNCOMPRESSED;

    /** {@code settings} on off-heap memtables in a 256 MiB pool, as the local node runs today. */
    private static Map<String, String> offHeap256(Map<String, String> settings) {
        Map<String, String> offHeap = new java.util.LinkedHashMap<>(settings);
        offHeap.put("memtable_allocation_type", "offheap_objects");
        offHeap.put("memtable_offheap_space", "256MiB");
        return Map.copyOf(offHeap);
    }

    /**
     * {@code settings} on the memtables the local node ran until session 19 (Cassandra's default
     * allocation, on the heap, 48 MiB), whatever {@link CassandraServer} configures today.
     */
    private static Map<String, String> onHeap(Map<String, String> settings) {
        Map<String, String> withHeap = new java.util.LinkedHashMap<>(settings);
        withHeap.put("memtable_allocation_type", "heap_buffers");
        withHeap.putIfAbsent("memtable_heap_space", "48MiB");
        return Map.copyOf(withHeap);
    }

    private NodeSettingsComparison() {}

    static void run(
            int images,
            int warmupImages,
            int warmupPasses,
            boolean rehearsal,
            int windows,
            boolean accumulate,
            List<Pace> paces,
            int inFlight,
            int rounds,
            Path profileDir,
            List<Variant> variants)
            throws Exception {
        List<Classification> mix = StorageBenchmark.mix(images + warmupImages);
        List<Classification> warmup = mix.subList(images, mix.size());
        List<Classification> measured = mix.subList(0, images);
        double megabytes = measured.stream().mapToLong(c -> c.bytes.length).sum() / 1e6;
        System.out.printf(
                Locale.ROOT,
                "node settings on the mix: %d images, %.1f MB (warm-up: %d others written %d"
                        + " times%s), in-flight %d, a fresh node per run%n",
                images,
                megabytes,
                warmupImages,
                warmupPasses,
                rehearsal ? ", then the measured images once into a rehearsal keyspace" : "",
                inFlight);
        if (windows % paces.size() != 0) {
            throw new IllegalArgumentException(
                    "--windows "
                            + windows
                            + " is not a multiple of the "
                            + paces.size()
                            + " paces: every pace needs as many windows");
        }
        if (paces.size() > 1 || !paces.get(0).equals(Pace.FLAT_OUT)) {
            System.out.println("windows in turn: " + paces);
        }
        if (windows > 1) {
            System.out.printf(
                    accumulate
                            ? "each node stores the measured images %d times in a row into one"
                                    + " keyspace, each time under new keys, so its tables grow"
                                    + " and compact as a long-running node's: round.window"
                                    + " below%n"
                            : "each node stores the measured images %d times in a row, each time"
                                    + " into a fresh keyspace: round.window below%n",
                    windows);
        }
        System.out.println(
                "| round | variant | images/s | Cassandra CPU s | CPU s per stored MB | of it JIT"
                        + " compilers | the rest per stored MB | MB read by compactions per stored MB |"
                        + " sstables |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        Path lib = LocalStack.libRoot().resolve("cassandra/lib");
        Path work = Path.of("target/bench-work/node-settings");
        for (int round = 1; round <= rounds; round++) {
            for (int v = 0; v < variants.size(); v++) {
                // Each round starts with the next variant (the machine's own drift spreads).
                Variant variant = variants.get((v + round - 1) % variants.size());
                FileUtils.deleteDirectory(work.toFile());
                try (CassandraServer node =
                        CassandraServer.startWithSettings(
                                lib, work, Ports.free(), "512m", variant.nodeSettings)) {
                    String contactPoint = node.contactPoint();
                    try (NodeJmx jmx = NodeJmx.connect(node.jmxPort())) {
                        CassandraSettings warm = variant.keyspace(contactPoint, "warmup", inFlight);
                        // The node's JIT compilers work through a fresh node's first minutes;
                        // a long-running node has long finished, so they are warmed past first.
                        for (int pass = 0; pass < warmupPasses; pass++) {
                            StorageBenchmark.runRaw(warm, warmup);
                        }
                        jmx.flushAndSettle("warmup");
                        if (rehearsal) {
                            // The warm-up rewrites the same keys of one table; the measured
                            // window writes new keys into new tables and compacts sstables of
                            // its own sizes. Doing exactly that once before is meant to leave
                            // the window less of the compilers' first-time work (it did not
                            // lower their share measurably, docs/benchmarks.md, session 20).
                            StorageBenchmark.runRaw(
                                    variant.keyspace(contactPoint, "rehearsal", inFlight),
                                    measured);
                            jmx.flushAndSettle("rehearsal");
                        }
                        for (int window = 1; window <= windows; window++) {
                            System.out.print(
                                    measureWindow(
                                            node,
                                            jmx,
                                            variant,
                                            windows == 1 || accumulate
                                                    ? "measured"
                                                    : "measured" + window,
                                            windows == 1 ? "" + round : round + "." + window,
                                            accumulate ? underNewKeys(measured, window) : measured,
                                            paces.get((window - 1) % paces.size()),
                                            megabytes,
                                            inFlight,
                                            work,
                                            profileDir));
                        }
                    }
                }
            }
        }
        FileUtils.deleteDirectory(work.toFile());
    }

    /**
     * The images as window {@code window} of an accumulating node stores them: the same bytes under
     * content keys and ids of their own (window 1: the images themselves), so every window adds new
     * partitions of the same sizes to the same tables.
     */
    static List<Classification> underNewKeys(List<Classification> images, int window) {
        if (window == 1) {
            return images;
        }
        List<Classification> renamed = new ArrayList<>(images.size());
        for (Classification image : images) {
            Classification copy = StorageBenchmark.ImageFactory.of(0, image.bytes);
            copy.imageId = image.imageId + "-window" + window;
            copy.sourceId = image.sourceId + "-window" + window;
            copy.contentSha256 = DigestUtils.sha256Hex(window + ":" + image.contentSha256);
            copy.domain = image.domain;
            copy.contentType = image.contentType;
            copy.receivedAtMillis = image.receivedAtMillis;
            copy.classifiedAtMillis = image.classifiedAtMillis;
            renamed.add(copy);
        }
        return renamed;
    }

    /**
     * Stores {@code measured} ({@code megabytes}) into {@code keyspace} of the node in {@code work}
     * (fresh, or the accumulating one), no sooner than {@code pace} allows, and returns the table
     * row (and the profile, if asked for): the node's CPU from the first write until the keyspace
     * is flushed and compacted, with the JIT compilers' share.
     */
    private static String measureWindow(
            CassandraServer node,
            NodeJmx jmx,
            Variant variant,
            String keyspace,
            String label,
            List<Classification> measured,
            Pace pace,
            double megabytes,
            int inFlight,
            Path work,
            Path profileDir)
            throws Exception {
        CassandraSettings settings = variant.keyspace(node.contactPoint(), keyspace, inFlight);
        // Attached (and its first start paid) before the window, as in the end-to-end harness:
        // the agent's arrival costs the node JIT work.
        CpuProfile profile = profileDir == null ? null : CpuProfile.ofProcess(node.pid());
        Thread.sleep(3000); // the schema change's own work settles first
        if (profile != null) {
            profile.start();
        }
        double cpuBefore = CpuProfile.cpuSeconds(node.pid());
        Map<Long, Long> compilersBefore = CpuProfile.compilerTicks(node.pid());
        long compactedBefore = jmx.bytesCompacted();
        double rate = StorageBenchmark.runRaw(settings, measured, pace);
        jmx.flushAndSettle(keyspace);
        double cpu = CpuProfile.cpuSeconds(node.pid()) - cpuBefore;
        double compacted = (jmx.bytesCompacted() - compactedBefore) / 1e6;
        double compilers =
                CpuProfile.compilerSeconds(compilersBefore, CpuProfile.compilerTicks(node.pid()));
        String profileSummary = "";
        if (profile != null) {
            java.nio.file.Files.createDirectories(profileDir);
            profileSummary = profile.stop(profileDir, "round" + label + "-" + variant);
        }
        return String.format(
                        Locale.ROOT,
                        "| %s | %s%s | %.0f | %.1f | %.4f | %.0f %% | %.4f | %.2f | %s |%n",
                        label,
                        variant,
                        pace.equals(Pace.FLAT_OUT) ? "" : ", " + pace,
                        rate,
                        cpu,
                        cpu / megabytes,
                        100 * compilers / cpu,
                        (cpu - compilers) / megabytes,
                        compacted / megabytes,
                        sstables(work.resolve("data/data").resolve(keyspace)))
                + profileSummary;
    }

    /**
     * The sstable formats on disk under {@code keyspace} ("big", "bti": the third part of a data
     * file's name, as in {@code da-1-bti-Data.db}), so a run shows the node wrote what it was told,
     * and how many sstables blob chunks are in once it settled.
     */
    private static String sstables(Path keyspace) throws java.io.IOException {
        List<Path> dataFiles;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(keyspace)) {
            dataFiles = files.filter(p -> p.getFileName().toString().endsWith("-Data.db")).toList();
        }
        String formats =
                dataFiles.stream()
                        .map(p -> p.getFileName().toString().split("-")[2])
                        .distinct()
                        .sorted()
                        .collect(java.util.stream.Collectors.joining(","));
        // A table's directory is named after the table and its id: blob_chunks-<id>.
        long blobChunks =
                dataFiles.stream()
                        .filter(
                                p ->
                                        p.getParent()
                                                .getFileName()
                                                .toString()
                                                .startsWith("blob_chunks-"))
                        .count();
        return formats + ", " + blobChunks + " of blob_chunks";
    }
}
