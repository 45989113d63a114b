package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.imagestream.decode.DecodeFunction;
import org.imagestream.decode.ModelInput;
import org.imagestream.model.Classification;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.routing.ShardKeySelector;
import org.imagestream.samples.SampleImages;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;

/** The classify operator in Flink's keyed test harness, with the real seed models. */
class ClassifyFunctionTest {
    @Test
    void shouldMatchThePlainClassifierAndReuseResultsForIdenticalContent() throws Exception {
        Map<Domain, ModelSpec> specs = ModelStoreAccess.seedModels();
        ModelSpec social = specs.get(Domain.SOCIAL);
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(social.height(), social.width(), social.channels()));
        Random random = new Random(8);
        List<DecodedImage> images = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            images.add(decoded(SampleImages.generate(Domain.SOCIAL, i, random).bytes(), i, inputs));
        }
        // The same bytes again, as a later record.
        images.add(decoded(images.get(2).record.bytes, 6, inputs));

        ClassifyFunction function =
                new ClassifyFunction(Map.of(Domain.SOCIAL, social), Duration.ofMinutes(5));
        List<Classification> results = new ArrayList<>();
        try (var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(function),
                        new ShardKeySelector(),
                        org.apache.flink.api.common.typeinfo.Types.STRING)) {
            harness.open();
            for (DecodedImage image : images) {
                harness.processElement(image, 0L);
            }
            harness.extractOutputValues().forEach(results::add);
        }
        assertThat(results).hasSize(7);

        try (SavedModelClassifier plain = SavedModelClassifier.open(social)) {
            for (int i = 0; i < 6; i++) {
                Prediction expected = plain.classify(List.of(images.get(i).pixels)).get(0);
                assertThat(results.get(i).labels).isEqualTo(expected.labels());
                for (int k = 0; k < expected.scores().size(); k++) {
                    assertThat(Math.abs(results.get(i).scores.get(k) - expected.scores().get(k)))
                            .isLessThanOrEqualTo(1e-6f);
                }
                assertThat(results.get(i).deduplicated).isFalse();
            }
        }
        Classification repeat = results.get(6);
        assertThat(repeat.deduplicated).isTrue();
        assertThat(repeat.imageId).isEqualTo("t-0-6");
        assertThat(repeat.contentSha256).isEqualTo(results.get(2).contentSha256);
        assertThat(repeat.scores).isEqualTo(results.get(2).scores);
    }

    private static DecodedImage decoded(byte[] bytes, int offset, Map<Domain, ModelInput> inputs)
            throws Exception {
        ImageRecord record = new ImageRecord();
        record.imageId = "t-0-" + offset;
        record.domain = "social";
        record.bytes = bytes;
        DecodedImage image = DecodeFunction.decode(record, inputs);
        image.shard = "shard-000";
        image.routingKey = "shard-000";
        return image;
    }
}
