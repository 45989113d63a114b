package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.model.Classification;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.routing.ShardKeySelector;
import org.imagestream.testing.DecodedImages;
import org.imagestream.testing.TestFlink;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Soak (Maven profile {@code soak}, not the default run): 1,000,000 inferences of the small social
 * model through the classify operator on a Flink MiniCluster, whose TaskManager is this JVM. Native
 * memory leaks (an unclosed Tensor or Result per batch) would show as resident-set growth that the
 * Java heap does not explain; the RSS after the first 100,000 images (JIT, TF arenas and Flink
 * buffers warmed up) is compared with the RSS at the end. The profile fixes and pre-touches the
 * heap ({@code -Xms = -Xmx}, {@code AlwaysPreTouch}) so heap growth cannot pass for a native leak.
 */
class InferenceSoakITCase {
    private static final long IMAGES = Long.getLong("imagestream.soak.images", 1_000_000L);
    private static final long WARM_UP = IMAGES / 10;
    private static final AtomicLong CLASSIFIED = new AtomicLong();
    private static final AtomicLong BASELINE_RSS = new AtomicLong();
    private static final AtomicLong MAX_RSS = new AtomicLong();

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(1);

    @Test
    void shouldKeepTaskManagerMemoryFlatOverAMillionInferences() throws Exception {
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromSequence(0, IMAGES - 1)
                .map(new Synthesize(spec))
                .keyBy(new ShardKeySelector())
                .transform(
                        "Classify images",
                        TypeInformation.of(Classification.class),
                        new BatchingClassifyOperator(
                                Map.of(Domain.SOCIAL, spec),
                                Duration.ZERO,
                                128,
                                Duration.ofMillis(5)))
                .map(new SampleMemory())
                .sinkTo(new DiscardingSink<>());
        long started = System.nanoTime();
        env.execute("inference-soak");
        double seconds = (System.nanoTime() - started) / 1e9;
        System.gc();
        long growth = residentBytes() - BASELINE_RSS.get();
        System.out.printf(
                "soak: %d inferences in %.0f s (%.0f img/s); RSS after %d: %d MB, at the end: %d MB,"
                        + " max %d MB, growth %.1f MB%n",
                CLASSIFIED.get(),
                seconds,
                CLASSIFIED.get() / seconds,
                WARM_UP,
                BASELINE_RSS.get() >> 20,
                residentBytes() >> 20,
                MAX_RSS.get() >> 20,
                growth / 1048576.0);
        assertThat(CLASSIFIED.get()).isEqualTo(IMAGES);
        assertThat(growth).as("RSS growth in bytes").isLessThan(50L << 20);
    }

    /** VmRSS of this JVM (the MiniCluster's TaskManager) from /proc. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Random-pixel images with distinct content hashes spread over 8 shards. */
    private static final class Synthesize implements MapFunction<Long, DecodedImage> {
        private final int size;
        private transient float[][] pool;

        Synthesize(ModelSpec spec) {
            this.size = spec.height() * spec.width() * spec.channels();
        }

        @Override
        public DecodedImage map(Long index) {
            if (pool == null) {
                Random random = new Random(1);
                pool = new float[64][size];
                for (float[] pixels : pool) {
                    for (int i = 0; i < size; i++) {
                        pixels[i] = random.nextFloat();
                    }
                }
            }
            return DecodedImages.of(Domain.SOCIAL, pool[(int) (index % pool.length)], index);
        }
    }

    /** Counts results and samples RSS every 10,000. */
    private static final class SampleMemory implements MapFunction<Classification, Classification> {
        @Override
        public Classification map(Classification result) {
            long count = CLASSIFIED.incrementAndGet();
            if (count % 10_000 == 0) {
                long rss = residentBytes();
                MAX_RSS.accumulateAndGet(rss, Math::max);
                if (count == WARM_UP) {
                    System.gc();
                    BASELINE_RSS.set(residentBytes());
                }
            }
            return result;
        }
    }
}
