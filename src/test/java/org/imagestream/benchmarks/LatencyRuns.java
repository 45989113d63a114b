package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.benchmarks.EndToEndBenchmark.Services;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.model.Domain;
import org.imagestream.testing.RecordIds;

/**
 * The end-to-end benchmark's latency runs ({@link EndToEndBenchmark}): the job fed by a paced
 * producer, the rate it sustains while fed, and produce-to-row latency at shares of that rate.
 */
final class LatencyRuns {
    /** How many of a paced run's last records must have rows before it counts them all. */
    private static final int LAST_RECORDS = 8;

    private LatencyRuns() {}

    /**
     * A latency run's report row, and its processes' CPU from the first measured record's produce
     * to the last row (the producer included: it shares the cores with the job).
     */
    record LatencyRun(String row, String resources) {}

    /**
     * A job fed by a paced producer: its rows (write time micros, Kafka timestamp millis) in
     * produce order, the wall-clock span of the measured records' production, and CPU snapshots
     * from the first measured record's produce to the last row seen; each record's produce to its
     * acknowledgement and, with a Kafka probe, to a plain consumer's poll ({@link TopicReaders};
     * null without).
     */
    record PacedRun(
            List<long[]> times,
            int warmup,
            int total,
            long rows,
            double producedRate,
            long measuredFromMillis,
            long producedUntilMillis,
            Processes.Snapshot before,
            Processes.Snapshot after,
            double measuredSeconds,
            WriteStages stages,
            CheckpointWatch checkpoints,
            CpuTimeline cpu,
            ScheduleLag producerLag,
            Hops acknowledged,
            Hops kafkaHops) {}

    /**
     * Runs the job on a topic a producer fills at {@code rate}: warm-up records, then measured.
     * With {@code kafkaProbe}, readers in this JVM also tail the topic as the job's source does,
     * and note when each record reached them: the Kafka hop alone, under the same load.
     */
    static PacedRun pacedRun(
            Services stack,
            Map<Domain, ModelSpec> specs,
            Mix mix,
            String name,
            double rate,
            int warmupSeconds,
            int seconds,
            String suffix,
            Processes processes,
            boolean kafkaProbe)
            throws Exception {
        String topic = "e2e-paced-" + suffix;
        String keyspace = "e2e_paced_" + suffix;
        stack.createTopics(EndToEndBenchmark.CORES, topic, topic + "-dead");
        StreamExecutionEnvironment env =
                EndToEndBenchmark.jobEnvironment(stack, specs, topic, keyspace, false);
        Map<String, Integer> subtaskOfShard =
                ClassifySubtasks.ofJob(
                        env, EndToEndBenchmark.jobConfig(stack, specs, topic, keyspace));
        JobClient client = env.executeAsync("e2e-bench-" + name);
        int warmup = (int) Math.round(rate * warmupSeconds);
        int total = warmup + (int) Math.round(rate * seconds);
        TopicReaders probe =
                kafkaProbe
                        ? new TopicReaders(
                                stack.bootstrapServers(), topic, EndToEndBenchmark.CORES, Map.of())
                        : null;
        try (probe;
                CheckpointWatch checkpoints =
                        CheckpointWatch.start(
                                EndToEndBenchmark.checkpointDirectory()
                                        .resolve(client.getJobID().toString()));
                CpuTimeline cpu = CpuTimeline.start(processes.pids());
                ImagePublisher publisher =
                        ImagePublisher.forBootstrapServers(stack.bootstrapServers());
                CqlSession session = EndToEndBenchmark.settings(stack, keyspace).openSession()) {
            // Let the job start and the schema appear before the clock starts; the topic's id
            // (an Admin call, for the last records' ids below) is looked up outside the window.
            RecordIds.topicId(publisher.clientProperties(), topic);
            Thread.sleep(8_000);
            long started = System.nanoTime();
            Processes.Snapshot before = null;
            long measuredFromMillis = 0;
            // The last records' sends: their rows tell when the job has caught up.
            ArrayDeque<Future<RecordMetadata>> lastSent = new ArrayDeque<>();
            ScheduleLag producerLag = new ScheduleLag();
            // When each record's acknowledgement came back (the producer's I/O thread notes it).
            // The topic's timestamps are the producer's (CreateTime, the broker's default).
            Hops acknowledged = new Hops();
            Callback noteAck =
                    (metadata, error) -> {
                        if (error == null) {
                            acknowledged.record(
                                    metadata.timestamp(),
                                    System.currentTimeMillis() - metadata.timestamp());
                        } else {
                            acknowledged.recordFailure();
                        }
                    };
            Pace pace = Pace.steady(rate);
            for (int i = 0; i < total; i++) {
                if (i == warmup) {
                    before = processes.snapshot();
                    measuredFromMillis = System.currentTimeMillis();
                }
                long due = pace.awaitTurn(started, i);
                if (i >= warmup) {
                    producerLag.record(due, System.nanoTime());
                }
                // One at a time: a run's records (13,000 at 230 img/s) did not fit the heap.
                Item item = mix.next();
                lastSent.add(item.publish(publisher, topic, noteAck));
                if (lastSent.size() > LAST_RECORDS) {
                    lastSent.remove();
                }
            }
            publisher.flush();
            long producedUntilMillis = System.currentTimeMillis();
            double producedSeconds = (System.nanoTime() - started) / 1e9;
            List<String> lastIds = new ArrayList<>();
            for (Future<RecordMetadata> sent : lastSent) {
                lastIds.add(RecordIds.of(publisher.clientProperties(), sent.get()));
            }
            // Wait for the job by point reads of the last records' rows: count(*) reads every row
            // (about 130 ms of the node's CPU at 12,000 rows, see RowProgress), and asked every
            // 250 ms it took about a third of a core while the job was still draining. One count
            // then confirms nothing is missing.
            long deadline = System.currentTimeMillis() + 180_000;
            RowProgress progress = new RowProgress(session, keyspace);
            while (progress.storedOf(lastIds) < lastIds.size()
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            if (System.currentTimeMillis() >= deadline) {
                System.out.println(
                        "WARNING: "
                                + name
                                + ": the last records had no rows after 180 s; its CPU window"
                                + " runs to then");
            }
            // The window ends here, its CPU and its wall time together, before the count.
            Processes.Snapshot after = processes.snapshot();
            long measuredUntilMillis = System.currentTimeMillis();
            long rows = progress.all();
            while (rows < total && System.currentTimeMillis() < deadline) {
                Thread.sleep(1_000);
                after = processes.snapshot();
                measuredUntilMillis = System.currentTimeMillis();
                rows = progress.all();
            }
            double measuredSeconds = (measuredUntilMillis - measuredFromMillis) / 1000.0;
            Hops kafkaHops = null;
            if (probe != null) {
                probe.close();
                try {
                    kafkaHops = probe.hops();
                } catch (IllegalStateException failed) {
                    // An optional probe: the run's own figures stand without it.
                    System.out.println("WARNING: " + name + ": the Kafka probe failed: " + failed);
                }
            }
            client.cancel().get(60, TimeUnit.SECONDS);
            List<long[]> times = EndToEndBenchmark.rowTimes(session, keyspace, new ArrayList<>());
            times.sort((a, b) -> Long.compare(a[1], b[1]));
            WriteStages stages =
                    WriteStages.read(
                            session, keyspace, measuredFromMillis, seconds, subtaskOfShard);
            return new PacedRun(
                    times,
                    warmup,
                    total,
                    rows,
                    total / producedSeconds,
                    measuredFromMillis,
                    producedUntilMillis,
                    before,
                    after,
                    measuredSeconds,
                    stages,
                    checkpoints,
                    cpu,
                    producerLag,
                    acknowledged,
                    kafkaHops);
        }
    }

    /** The rate the job sustained while a producer fed it, and its lines for the report. */
    record LiveRate(double imagesPerSecond, String report) {}

    /**
     * The rate the job sustains while a producer on the same cores feeds it, which is what the
     * latency runs offer shares of: the producer offers {@code rate} (above the pre-loaded rate),
     * and the rows written while the measured records were being produced are counted. The job
     * keeps a backlog throughout, or the figure is only the producer's pace (said in the report).
     */
    static LiveRate liveRate(PacedRun run, double rate, int warmupSeconds, Processes processes) {
        long written =
                RowProgress.rowsWrittenBetween(
                        run.times(),
                        run.measuredFromMillis() * 1000,
                        run.producedUntilMillis() * 1000);
        double windowSeconds = (run.producedUntilMillis() - run.measuredFromMillis()) / 1000.0;
        double sustained = written / windowSeconds;
        // Records produced but not yet stored when production ended: the backlog.
        long backlog =
                RowProgress.rowsWrittenBetween(
                        run.times(), run.producedUntilMillis() * 1000, Long.MAX_VALUE);
        String line =
                String.format(
                        Locale.ROOT,
                        "Sustained while producing (the latency runs' reference): %.1f img/s, rows"
                                + " stored while a producer on the same cores offered %.1f img/s"
                                + " (achieved %.1f) for %.0f s after %d s of warm-up; %d records"
                                + " were still waiting when it stopped%s%n",
                        sustained,
                        rate,
                        run.producedRate(),
                        windowSeconds,
                        warmupSeconds,
                        backlog,
                        backlog < run.producedRate()
                                ? " (less than a second's worth: the job kept up, so this is a"
                                        + " lower bound)"
                                : "");
        System.out.print(line);
        // The CPU window runs to the last row, so it holds every row stored after the first
        // measured record was produced (the warm-up's backlog included).
        long stored =
                RowProgress.rowsWrittenBetween(
                        run.times(), run.measuredFromMillis() * 1000, Long.MAX_VALUE);
        return new LiveRate(
                sustained,
                line + processes.table(run.before(), run.after(), stored, "live rate", sustained));
    }

    /**
     * How many of the records before {@code first} (in produce order; rows as {@link
     * PacedRun#times}: write time micros, Kafka timestamp millis) were written after record {@code
     * first} was produced: the job's queue when measuring began.
     */
    static long waitingWhenMeasuringBegan(List<long[]> times, int first) {
        if (first >= times.size()) {
            return 0;
        }
        // Written in a later millisecond than the produce time, as write times are compared in
        // whole milliseconds with Kafka's.
        long afterProducedMicros = (times.get(first)[1] + 1) * 1000;
        return RowProgress.rowsWrittenBetween(
                times.subList(0, first), afterProducedMicros, Long.MAX_VALUE);
    }

    /**
     * Each measured row's latency ({@code times} as {@link PacedRun#times}, measured from {@code
     * first}) less its record's hop to the probe's consumer: roughly what comes after Kafka has
     * delivered the record. Roughly, because the probe is another consumer than the job's source
     * (which may see a record earlier or later); records are matched by produce millisecond, the
     * quickest hop standing for all that share one (which can only overstate the rest). A row
     * stored before the probe saw its record counts as 0 and is counted apart.
     */
    static String afterTheKafkaHop(List<long[]> times, int first, Hops kafkaHops, int percent) {
        Map<Long, Long> hops = kafkaHops.smallestByProduceMillis();
        Histogram rest = LatencyHistograms.create();
        int beforeTheProbe = 0;
        for (int i = first; i < times.size(); i++) {
            Long hop = hops.get(times.get(i)[1]);
            if (hop != null) {
                long rowMillis = times.get(i)[0] / 1000 - times.get(i)[1];
                if (rowMillis < hop) {
                    beforeTheProbe++;
                }
                rest.recordValue(Math.max(0, rowMillis - hop));
            }
        }
        return String.format(
                Locale.ROOT,
                "- latency %d %%: the rest, record by record (produce to row less the hop to that"
                        + " consumer; %d of %d rows matched, %d of them stored before it saw the"
                        + " record): p50 / p99 / max %s ms%n",
                percent,
                rest.getTotalCount(),
                times.size() - first,
                beforeTheProbe,
                LatencyHistograms.p50p99max(rest));
    }

    /** A latency run's figures from its paced run: the histogram, per-second maxima and CPU. */
    static LatencyRun latency(
            PacedRun run,
            int percent,
            double rate,
            int seconds,
            Processes processes,
            ClockSteps clock) {
        List<long[]> times = run.times();
        Histogram histogram = LatencyHistograms.create();
        // In produce order: the rows of the records after the warm-up ones. The slowest row per
        // second of produce time shows whether the tail comes in periodic stalls.
        int first = Math.min(run.warmup(), times.size());
        SlowestPerSecond slowestPerSecond = new SlowestPerSecond(seconds);
        // The same rows without those produced before a step of the wall clock and stored after.
        Histogram unstepped = LatencyHistograms.create();
        for (int i = first; i < times.size(); i++) {
            long writtenMillis = times.get(i)[0] / 1000;
            long millis = Math.max(0, writtenMillis - times.get(i)[1]);
            histogram.recordValue(millis);
            slowestPerSecond.record(times.get(i)[1] - times.get(first)[1], millis);
            if (!clock.steppedBetween(times.get(i)[1], writtenMillis)) {
                unstepped.recordValue(millis);
            }
        }
        System.out.println(
                "latency "
                        + percent
                        + " %: slowest row per second of produce time (ms): "
                        + slowestPerSecond);
        if (first < times.size()) {
            // On the same clock: a stall at every checkpoint shows as slow seconds beside them.
            long from = times.get(first)[1];
            System.out.println(
                    "latency "
                            + percent
                            + " %: second 0 of produce time is "
                            + Instant.ofEpochMilli(from)
                            + "; checkpoints begun-completed, s of produce time: "
                            + run.checkpoints().between(from, from + (seconds + 1) * 1000L));
            System.out.print(
                    "latency "
                            + percent
                            + " %: CPU per second of produce time, % of a core:\n"
                            + run.cpu().perSecond(from, seconds));
        }
        String line =
                String.format(
                        Locale.ROOT,
                        "| %d %% (%.1f img/s) | %.1f img/s | %d | %d | %d | %d | %d of %d |%n",
                        percent,
                        rate,
                        run.producedRate(),
                        histogram.getValueAtPercentile(50),
                        histogram.getValueAtPercentile(95),
                        histogram.getValueAtPercentile(99),
                        histogram.getMaxValue(),
                        run.rows(),
                        run.total());
        System.out.print("latency " + line);
        String stages = "- latency " + percent + " %: " + run.stages().summary() + "\n";
        // The steps themselves are in the run's resource lines (Processes.table).
        if (unstepped.getTotalCount() < histogram.getTotalCount()) {
            stages +=
                    String.format(
                            Locale.ROOT,
                            "- latency %d %%: produce to row of the %d of %d records produced and"
                                    + " stored between the clock's steps: p50 / p95 / p99 / max %d"
                                    + " / %d / %d / %d ms%n",
                            percent,
                            unstepped.getTotalCount(),
                            histogram.getTotalCount(),
                            unstepped.getValueAtPercentile(50),
                            unstepped.getValueAtPercentile(95),
                            unstepped.getValueAtPercentile(99),
                            unstepped.getMaxValue());
        }
        if (first < times.size()) {
            // The Kafka part alone beside the whole path, per second on the same clock.
            long from = times.get(first)[1];
            stages +=
                    "- latency "
                            + percent
                            + " %: produce to the producer's acknowledgement callback (its queue"
                            + " behind the request in flight, the broker, its I/O thread): "
                            + run.acknowledged().describe(from, seconds)
                            + "\n";
            if (run.kafkaHops() != null) {
                stages +=
                        "- latency "
                                + percent
                                + " %: produce to a plain consumer in the job's JVM tailing the"
                                + " topic (--kafka-probe): "
                                + run.kafkaHops().describe(from, seconds)
                                + "\n"
                                + afterTheKafkaHop(times, first, run.kafkaHops(), percent);
            }
        }
        System.out.print(run.stages().bySubtask());
        // A queue left by the warm-up (a fresh job's start) weighs on the first measured rows.
        long waiting = waitingWhenMeasuringBegan(times, first);
        String backlog =
                String.format(
                        Locale.ROOT,
                        "- latency %d %%: %d warm-up records had no row yet when the first measured"
                                + " one was produced (%.1f s at the offered rate)%n",
                        percent,
                        waiting,
                        waiting / rate);
        int measured = run.total() - run.warmup();
        double busy = Processes.cpuSecondsBetween(run.before(), run.after());
        String resources =
                processes.table(
                                run.before(),
                                run.after(),
                                measured,
                                "latency " + percent + " %",
                                rate)
                        + String.format(
                                Locale.ROOT,
                                "- latency %d %%: all processes busy %.0f %% of %d cores over"
                                        + " %.1f s (first measured record produced to last row"
                                        + " seen)%n",
                                percent,
                                busy * 100 / EndToEndBenchmark.CORES / run.measuredSeconds(),
                                EndToEndBenchmark.CORES,
                                run.measuredSeconds())
                        + backlog
                        + "- latency "
                        + percent
                        + " %: "
                        + run.producerLag().describe()
                        + "\n"
                        + stages;
        System.out.print(resources + Processes.threadTables(run.before(), run.after()));
        return new LatencyRun(line, resources);
    }
}
