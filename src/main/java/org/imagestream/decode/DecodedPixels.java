package org.imagestream.decode;

/** What a decoder returns: the model tensor plus the original image's geometry. */
public record DecodedPixels(float[] pixels, int originalWidth, int originalHeight) {}
