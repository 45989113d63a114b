package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.imagestream.testing.HostileCorpus;
import org.imagestream.testing.PlantedDicom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOM data sets sent without the Part 10 preamble (pydicom's files with the first 132 bytes and
 * the file meta group cut off, and the meta group alone) are recognised; photos, TIFFs and noise
 * are not.
 */
class DicomSnifferTest {
    @TempDir Path dir;

    @Test
    void shouldRecognizeDataSetsWithoutThePart10Preamble() throws Exception {
        PlantedDicom.write(dir);
        for (String file : PlantedDicom.FILES) {
            byte[] part10 = Files.readAllBytes(dir.resolve(file));
            // The file meta group (explicit VR little endian) starts at 132; its length element
            // (0002,0000) UL gives where the data set starts.
            int metaLength =
                    ByteBuffer.wrap(part10, 140, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            byte[] meta = Arrays.copyOfRange(part10, 132, part10.length);
            byte[] dataSet = Arrays.copyOfRange(part10, 144 + metaLength, part10.length);
            assertThat(DicomSniffer.looksLikeDataSet(meta)).as("meta of %s", file).isTrue();
            if (!file.equals("deflated.dcm")) { // a deflated data set is compressed bytes
                assertThat(DicomSniffer.looksLikeDataSet(dataSet))
                        .as("data set of %s", file)
                        .isTrue();
            }
        }
    }

    @Test
    void shouldNotMistakeImagesOrNoiseForDicom() {
        for (HostileCorpus.Sample seed : HostileCorpus.seeds().values()) {
            if (!seed.name().endsWith(".dcm")
                    && seed.domain() != org.imagestream.model.Domain.MEDICAL) {
                assertThat(DicomSniffer.looksLikeDataSet(seed.bytes())).as(seed.name()).isFalse();
            }
        }
        Random random = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            byte[] noise = new byte[64];
            random.nextBytes(noise);
            assertThat(DicomSniffer.looksLikeDataSet(noise)).isFalse();
        }
    }
}
