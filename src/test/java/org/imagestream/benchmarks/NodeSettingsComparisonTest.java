package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.imagestream.model.Classification;
import org.junit.jupiter.api.Test;

class NodeSettingsComparisonTest {
    @Test
    void shouldStoreEveryAccumulatingWindowUnderKeysOfItsOwnWithTheSameBytes() throws Exception {
        List<Classification> images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Classification image = StorageBenchmark.ImageFactory.of(i, new byte[] {(byte) i, 1});
            image.domain = i == 2 ? "medical" : "social";
            images.add(image);
        }

        Set<String> contentKeys = new HashSet<>();
        Set<String> imageIds = new HashSet<>();
        for (int window = 1; window <= 3; window++) {
            List<Classification> stored = NodeSettingsComparison.underNewKeys(images, window);
            assertThat(stored).hasSize(3);
            for (int i = 0; i < 3; i++) {
                Classification original = images.get(i);
                Classification copy = stored.get(i);
                assertThat(copy.bytes).isSameAs(original.bytes);
                assertThat(copy.domain).isEqualTo(original.domain);
                assertThat(copy.contentType).isEqualTo(original.contentType);
                contentKeys.add(copy.contentSha256);
                imageIds.add(copy.imageId);
            }
        }

        // Window 1 is the images as they are; 3 images x 3 windows, no key shared.
        assertThat(NodeSettingsComparison.underNewKeys(images, 1)).isSameAs(images);
        assertThat(contentKeys).hasSize(9).allMatch(key -> key.matches("[0-9a-f]{64}"));
        assertThat(imageIds).hasSize(9);
    }
}
