package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PixelsTest {
    @Test
    void shouldAverageWholeBlocksWhenShrinkingByAnInteger() {
        float[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        float[] out = Pixels.resize(src, 4, 4, 1, 2, 2);
        assertThat(out)
                .containsExactly(
                        (1 + 2 + 5 + 6) / 4f,
                        (3 + 4 + 7 + 8) / 4f,
                        (9 + 10 + 13 + 14) / 4f,
                        (11 + 12 + 15 + 16) / 4f);
    }

    @Test
    void shouldWeighPartialPixelsWhenShrinkingByAFraction() {
        float[] src = {0, 3, 6};
        float[] out = Pixels.resize(src, 3, 1, 1, 2, 1);
        // Output pixel 0 covers source [0, 1.5): 0 * 1 + 3 * 0.5 over 1.5.
        assertThat(out[0]).isCloseTo(1f, within(1e-6f));
        assertThat(out[1]).isCloseTo(5f, within(1e-6f));
    }

    @Test
    void shouldKeepChannelsSeparate() {
        float[] src = {1, 10, 3, 30};
        assertThat(Pixels.resize(src, 2, 1, 2, 1, 1)).containsExactly(2, 20);
    }
}
