package org.imagestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.imagestream.model.Domain;
import org.imagestream.samples.SampleImages;
import org.junit.jupiter.api.Test;

class ContentSnifferTest {
    @Test
    void shouldDetectTheDomainOfEverySampleFormat() {
        Random random = new Random(1);
        for (Domain domain : Domain.values()) {
            for (int i = 0; i < 2; i++) {
                SampleImages.Sample sample = SampleImages.generate(domain, i, random);
                ContentSniffer.Detected detected =
                        ContentSniffer.detect(sample.bytes()).orElseThrow();
                assertThat(detected.domain()).isEqualTo(domain);
                assertThat(detected.contentType()).isEqualTo(sample.contentType());
            }
        }
    }

    @Test
    void shouldRecogniseGifBmpAndWebpMagic() {
        assertThat(ContentSniffer.detect("GIF89a......".getBytes()).orElseThrow().contentType())
                .isEqualTo("image/gif");
        assertThat(
                        ContentSniffer.detect("BM\0\0\0\0\0\0\0\0\0\0\0\0".getBytes())
                                .orElseThrow()
                                .contentType())
                .isEqualTo("image/bmp");
        assertThat(
                        ContentSniffer.detect("RIFF\0\0\0\0WEBPVP8 ".getBytes())
                                .orElseThrow()
                                .contentType())
                .isEqualTo("image/webp");
    }

    @Test
    void shouldNotGuessAtUnknownOrShortInput() {
        assertThat(ContentSniffer.detect(new byte[0])).isEmpty();
        assertThat(ContentSniffer.detect("hello world".getBytes())).isEmpty();
        assertThat(ContentSniffer.detect(new byte[] {(byte) 0xFF, (byte) 0xD8})).isEmpty();
    }
}
