package org.imagestream.inference;

import static org.assertj.core.api.Assertions.assertThat;

import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;

/** Which pending batch runs first when several are flushed together. */
class MicroBatchesTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldRunTheDomainsInTheirOrderBeforeAnyModelCallWasTimed() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        add(batches, Domain.MEDICAL, 1);
        add(batches, Domain.SOCIAL, 1);
        add(batches, Domain.REMOTE_SENSING, 1);

        assertThat(batches.cheapestFirst())
                .containsExactly(Domain.SOCIAL, Domain.REMOTE_SENSING, Domain.MEDICAL);
    }

    @Test
    void shouldRunTheCheapestExpectedCallFirst() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        batches.recordCall(Domain.SOCIAL, 2, 60 * MS); // 30 ms per image
        batches.recordCall(Domain.MEDICAL, 4, 8 * MS); // 2 ms per image
        add(batches, Domain.SOCIAL, 1); // expected 30 ms
        add(batches, Domain.MEDICAL, 3); // expected 6 ms
        add(batches, Domain.REMOTE_SENSING, 1); // never timed: counts as free

        assertThat(batches.cheapestFirst())
                .containsExactly(Domain.REMOTE_SENSING, Domain.MEDICAL, Domain.SOCIAL);
    }

    @Test
    void shouldWeighTheWaitingInputsNotJustTheDomain() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        batches.recordCall(Domain.SOCIAL, 1, 30 * MS);
        batches.recordCall(Domain.MEDICAL, 1, 2 * MS);
        add(batches, Domain.SOCIAL, 1); // 30 ms
        add(batches, Domain.MEDICAL, 20); // 20 x 2 = 40 ms

        assertThat(batches.cheapestFirst()).containsExactly(Domain.SOCIAL, Domain.MEDICAL);
    }

    @Test
    void shouldCountEachPartOfATiledImage() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        batches.recordCall(Domain.SOCIAL, 1, 30 * MS);
        batches.recordCall(Domain.REMOTE_SENSING, 1, 1 * MS);
        add(batches, Domain.SOCIAL, 1); // 30 ms
        DecodedImage scene = image("scene");
        scene.parts = 64; // 64 x 1 ms
        batches.add(Domain.REMOTE_SENSING, scene, "key", 0, 0);

        assertThat(batches.cheapestFirst()).containsExactly(Domain.SOCIAL, Domain.REMOTE_SENSING);
    }

    @Test
    void shouldFollowAChangeInCostWithinAFewCalls() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        batches.recordCall(Domain.SOCIAL, 1, 2 * MS);
        batches.recordCall(Domain.MEDICAL, 1, 10 * MS);
        for (int call = 0; call < 8; call++) {
            // A slower social model rolled out: 40 ms a call from now on.
            batches.recordCall(Domain.SOCIAL, 1, 40 * MS);
        }
        add(batches, Domain.SOCIAL, 1);
        add(batches, Domain.MEDICAL, 1);

        assertThat(batches.cheapestFirst()).containsExactly(Domain.MEDICAL, Domain.SOCIAL);
    }

    @Test
    void shouldListOnlyDomainsWithImagesWaiting() {
        MicroBatches batches = new MicroBatches(128, 5, 100);
        add(batches, Domain.MEDICAL, 2);
        batches.take(Domain.MEDICAL);
        add(batches, Domain.SOCIAL, 1);

        assertThat(batches.cheapestFirst()).containsExactly(Domain.SOCIAL);
        batches.take(Domain.SOCIAL);
        assertThat(batches.cheapestFirst()).isEmpty();
    }

    private static int serial;

    private static void add(MicroBatches batches, Domain domain, int images) {
        for (int i = 0; i < images; i++) {
            batches.add(domain, image(domain.id() + "-" + serial++), "key", 0, 0);
        }
    }

    private static DecodedImage image(String sha256) {
        DecodedImage image = new DecodedImage();
        image.contentSha256 = sha256;
        return image;
    }
}
