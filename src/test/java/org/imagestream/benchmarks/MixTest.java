package org.imagestream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.apache.commons.codec.digest.DigestUtils;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DicomDeidentifier;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;

class MixTest {
    @Test
    void shouldKeepEveryMedicalRecordDistinctAfterDeidentification() throws Exception {
        // The job hashes a DICOM file after de-identifying it (dedup and the ring use that hash):
        // records that de-identify to the same bytes are copies to it, not distinct images.
        Mix mix = new Mix(new Random(42));
        DicomDeidentifier deidentifier =
                new DicomDeidentifier(new byte[] {7}, DecodeLimits.DEFAULT);
        Set<String> hashes = new HashSet<>();
        int medical = 0;
        for (int i = 0; i < 120; i++) {
            Item item = mix.next();
            if (item.domain() == Domain.MEDICAL) {
                medical++;
                hashes.add(DigestUtils.sha256Hex(deidentifier.deidentify(item.bytes())));
            }
        }

        assertThat(medical).isEqualTo(30);
        assertThat(hashes).hasSize(30);
    }
}
