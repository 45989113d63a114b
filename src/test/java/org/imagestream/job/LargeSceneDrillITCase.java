package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.testing.TestFlink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ObjectStoreITCase}'s scenario with a 200 MB 13-band scene (2780 x 2780, twelve times
 * Kafka's record limit) in a 1 GiB test JVM that also runs the job: the scene is streamed and tiled
 * at full resolution into 8 x 8 tiles of 384 x 384 as it is read, every tile's label checked, and
 * the heap the job needs grows by well under the scene's size. Slow (about a gigabyte moves through
 * S3Proxy): {@code -Pdrills}.
 */
@ExtendWith(LocalStackExtension.class)
class LargeSceneDrillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    @Test
    void shouldTileAndClassifyA200MegabyteSceneWithoutHoldingItInTheHeap(
            LocalStack stack, @TempDir Path temp) throws Exception {
        long sceneBytes = 2780L * 2780 * 13 * 2;
        long heapGrowth =
                ObjectStoreITCase.run(
                        stack, temp, new SplitScene(2780, 2780, 1792, 1920), 384, "64m");
        System.out.printf(
                "Large scene: %d MB scene, heap grew by %d MiB%n",
                sceneBytes / 1_000_000, heapGrowth >> 20);
        // Holding the scene once would add 200 MB of live heap (its float tiles 400 MB); streaming
        // adds the job's own working set (models, network buffers, two rows of tiles, one band of
        // rows) only.
        assertThat(heapGrowth).isLessThan(sceneBytes / 2);
        // Measured +86 MiB on the reference machine; four rows of tiles instead of two would add
        // about 28 MB more.
        assertThat(heapGrowth).isLessThan(128L << 20);
    }
}
