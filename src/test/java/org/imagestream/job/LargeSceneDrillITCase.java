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
 * Kafka's record limit) in a 1 GiB test JVM that also runs the job: the scene is streamed, so the
 * heap the job needs grows by well under the scene's size. Slow (about a gigabyte moves through
 * S3Proxy): {@code -Pdrills}.
 */
@ExtendWith(LocalStackExtension.class)
class LargeSceneDrillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    @Test
    void shouldClassifyA200MegabyteSceneWithoutHoldingItInTheHeap(
            LocalStack stack, @TempDir Path temp) throws Exception {
        long sceneBytes = 2780L * 2780 * 13 * 2;
        long heapGrowth = ObjectStoreITCase.run(stack, temp, 2780, 2780);
        System.out.printf(
                "Large scene: %d MB scene, heap grew by %d MiB%n",
                sceneBytes / 1_000_000, heapGrowth >> 20);
        // Holding the scene once would add 200 MB of live heap; streaming adds the job's own
        // working set (models, network buffers, the subsampled raster) only.
        assertThat(heapGrowth).isLessThan(sceneBytes / 2);
    }
}
