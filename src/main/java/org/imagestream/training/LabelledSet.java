package org.imagestream.training;

/** A labelled set of model inputs: {@code count} HWC float images and their class indices. */
record LabelledSet(float[] images, int[] labels, int count, int height, int width, int channels) {
    int imageSize() {
        return height * width * channels;
    }
}
