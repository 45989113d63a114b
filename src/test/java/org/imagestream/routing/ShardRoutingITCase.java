package org.imagestream.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.ImageRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Routing on a real MiniCluster at parallelism 3 (not a power of two, does not divide 128): a
 * uniform stream of content hashes must reach every subtask within 10% of the mean, and identical
 * content must always reach the same subtask.
 */
class ShardRoutingITCase {
    private static final int PARALLELISM = 3;

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(PARALLELISM)
                            .build());

    @Test
    void shouldSpreadUniformContentEvenlyOverThreeSubtasks() throws Exception {
        ConsistentHashRing ring =
                ConsistentHashRing.ofShards(64, ConsistentHashRing.DEFAULT_VIRTUAL_NODES);
        Map<String, String> keys = ShardKeys.assign(ring.nodes(), 128);
        List<DecodedImage> images = new ArrayList<>();
        java.util.Random random = new java.util.Random(11);
        int distinct = 30_000;
        for (int i = 0; i < distinct; i++) {
            images.add(
                    image(
                            Long.toHexString(random.nextLong())
                                    + Long.toHexString(random.nextLong())));
        }
        // Every 100th image is sent a second time: copies must meet their original.
        for (int i = 0; i < distinct; i += 100) {
            images.add(image(images.get(i).contentSha256));
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        env.setMaxParallelism(128);
        int[] perSubtask = new int[PARALLELISM];
        Map<String, Integer> subtaskOfContent = new java.util.HashMap<>();
        try (CloseableIterator<String> out =
                env.fromData(images)
                        .map(
                                new AssignShardFunction(
                                        ring, keys, AssignShardFunction.RoutingKey.CONTENT_HASH))
                        .keyBy(new ShardKeySelector())
                        .map(new TagWithSubtask())
                        .executeAndCollect()) {
            while (out.hasNext()) {
                String[] tagged = out.next().split(" ");
                int subtask = Integer.parseInt(tagged[0]);
                perSubtask[subtask]++;
                Integer previous = subtaskOfContent.put(tagged[1], subtask);
                assertThat(previous == null || previous == subtask)
                        .as("copies meet in one subtask")
                        .isTrue();
            }
        }
        double mean = images.size() / (double) PARALLELISM;
        for (int count : perSubtask) {
            assertThat(Math.abs(count - mean) / mean)
                    .as("subtask load %s vs mean %s", count, mean)
                    .isLessThan(0.10);
        }
    }

    private static DecodedImage image(String sha) {
        DecodedImage image = new DecodedImage();
        image.record = new ImageRecord();
        image.contentSha256 = sha;
        image.pixels = new float[0];
        return image;
    }

    /** Emits "subtask sha" for each image it sees. */
    private static final class TagWithSubtask extends RichMapFunction<DecodedImage, String> {
        @Override
        public String map(DecodedImage image) {
            return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()
                    + " "
                    + image.contentSha256;
        }
    }
}
