package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.HeapWatch;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PublishedImages;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hostile-input flood: 30 % of the stream is the decoder suite's corpus (truncated and corrupted
 * real files, noise), decompression bombs and records over {@code limits.max-image-bytes}, mixed at
 * random among good images of all domains. The job runs without a restart strategy (any failure
 * fails the test); every record must end as exactly one result row or one dead letter, every good
 * image as a row, every bomb and oversized record as a TOO_LARGE dead letter, and the heap in use
 * after garbage collection must stay under half of the test JVM's maximum.
 *
 * <p>Throughput under the flood is a benchmark ({@code EndToEndBenchmark --flood-share 0.3}), not
 * asserted here.
 */
@ExtendWith(LocalStackExtension.class)
class HostileFloodITCase {
    private static final int GOOD = 140;
    private static final int OVERSIZED = 3;
    private static final int MAX_IMAGE_BYTES = 2 * 1024 * 1024;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldAccountForEveryRecordOfAFloodWithoutRestartsOrUnboundedHeap(LocalStack stack)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "flood");
        Random random = new Random(2026_11_27);
        List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < GOOD; i++) {
            SampleImages.Sample sample = SampleImages.generate(Domain.values()[i % 3], i, random);
            inputs.add(
                    new Input(
                            "good " + sample.fileName(),
                            sample.domain(),
                            sample.bytes(),
                            Kind.GOOD));
        }
        // 30 % hostile: all bombs, records over the size limit, the rest drawn from the corpus.
        int hostile = (int) Math.round(GOOD * 0.3 / 0.7);
        for (HostileCorpus.Sample bomb : HostileCorpus.bombs()) {
            inputs.add(new Input(bomb.name(), bomb.domain(), bomb.bytes(), Kind.TOO_LARGE));
        }
        for (int i = 0; i < OVERSIZED; i++) {
            byte[] big = new byte[MAX_IMAGE_BYTES + 1 + random.nextInt(1024 * 1024)];
            random.nextBytes(big);
            inputs.add(new Input("oversized " + i, Domain.values()[i % 3], big, Kind.TOO_LARGE));
        }
        List<HostileCorpus.Sample> corpus = new ArrayList<>(HostileCorpus.variants(random));
        Collections.shuffle(corpus, random);
        int drawn = hostile - HostileCorpus.bombs().size() - OVERSIZED;
        for (HostileCorpus.Sample sample : corpus.subList(0, drawn)) {
            inputs.add(new Input(sample.name(), sample.domain(), sample.bytes(), Kind.CORPUS));
        }
        Collections.shuffle(inputs, random);
        assertThat(inputs).hasSize(GOOD + hostile);

        Map<String, String> options = LocalJobOptions.of(stack, streams);
        options.put("limits.max-image-bytes", Integer.toString(MAX_IMAGE_BYTES));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("hostile-flood-it");
        HeapWatch heap = HeapWatch.start();
        Map<String, Input> byId = new HashMap<>();
        try {
            byId.putAll(
                    PublishedImages.publishAll(
                            stack.bootstrapServers(),
                            streams.topic(),
                            inputs,
                            Input::domain,
                            Input::name,
                            Input::bytes));
            long good = byId.values().stream().filter(i -> i.kind() == Kind.GOOD).count();
            // Rows: the good images and any corpus variant that still decodes.
            PipelineOutcomes.waitForResults(streams.settings(), (int) good, 300_000);
            List<StoredResult> rows;
            try (CqlSession session = streams.settings().openSession()) {
                long deadline = System.currentTimeMillis() + 120_000;
                Map<String, String> reasons;
                while (true) {
                    rows = new ResultReader(session, streams.keyspace()).all();
                    int deadLetters = byId.size() - rows.size();
                    reasons =
                            PipelineOutcomes.deadLetterReasons(
                                    stack.bootstrapServers(),
                                    streams.deadLetterTopic(),
                                    deadLetters);
                    if (rows.size() + reasons.size() == byId.size()
                            || System.currentTimeMillis() > deadline) {
                        break;
                    }
                }
                Set<String> rowIds = new HashSet<>();
                rows.forEach(r -> rowIds.add(r.imageId()));
                assertThat(rows).extracting(StoredResult::imageId).doesNotHaveDuplicates();
                assertThat(Collections.disjoint(rowIds, reasons.keySet()))
                        .as("no record both stored and dead-lettered")
                        .isTrue();
                Set<String> accounted = new HashSet<>(rowIds);
                accounted.addAll(reasons.keySet());
                assertThat(accounted).as("every record accounted for").isEqualTo(byId.keySet());
                for (Map.Entry<String, Input> entry : byId.entrySet()) {
                    Input input = entry.getValue();
                    switch (input.kind()) {
                        case GOOD -> assertThat(rowIds).as(input.name()).contains(entry.getKey());
                        case TOO_LARGE ->
                                assertThat(reasons.get(entry.getKey()))
                                        .as(input.name())
                                        .isEqualTo("TOO_LARGE");
                        case CORPUS -> {}
                    }
                }
                System.out.printf(
                        "flood: %d records (%d good, %d hostile): %d rows, %d dead letters;"
                                + " heap after GC at most %d MiB of %d MiB%n",
                        byId.size(),
                        good,
                        byId.size() - good,
                        rows.size(),
                        reasons.size(),
                        heap.maxAfterGc() >> 20,
                        Runtime.getRuntime().maxMemory() >> 20);
            }
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            heap.stop();
            job.cancel().get();
        }
        assertThat(heap.maxAfterGc())
                .as("heap in use after GC (test JVM and job together)")
                .isLessThan(Runtime.getRuntime().maxMemory() / 2);
    }

    private enum Kind {
        GOOD,
        TOO_LARGE,
        CORPUS
    }

    private record Input(String name, Domain domain, byte[] bytes, Kind kind) {}
}
