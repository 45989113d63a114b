package org.imagestream.decode;

import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.Raster;

/**
 * The remote-sensing decoders' step from a TIFF raster (the whole scene in {@link SceneDecoder}, a
 * strip in {@link SceneTileStream}) to floats: the raster's samples as a model's channels,
 * row-major HWC, divided by the sample scale: every band in file order, or the selected source
 * bands in the spec's order. Floats hold every TIFF sample format exactly (8/16-bit unsigned,
 * 16-bit signed sign-extended by the raster, 32-bit float).
 */
final class RasterSamples {
    private RasterSamples() {}

    static float[] of(Raster raster, ModelInput input) {
        int[] bands = sourceBands(raster, input);
        float[] samples = direct(raster, bands, input.sampleScale());
        return samples != null ? samples : throughTheRaster(raster, input, bands);
    }

    /** The source band (from 0) of each channel. */
    static int[] sourceBands(Raster raster, ModelInput input) {
        int[] selected = input.bands();
        int[] bands = new int[selected == null ? raster.getNumBands() : selected.length];
        for (int channel = 0; channel < bands.length; channel++) {
            bands[channel] = selected == null ? channel : selected[channel] - 1;
        }
        return bands;
    }

    /**
     * Read straight from the data of a raster of unsigned 8 or 16-bit samples laid out by a {@link
     * ComponentSampleModel} (pixel- or band-interleaved, what the TIFF reader returns for them), or
     * null for any other raster. The raster's own accessors fetch every sample through the sample
     * model and the data buffer, several calls each; this is the same arithmetic on the array: a
     * sample at {@code (x, y)} of band {@code b} is element {@code (y - translateY) x
     * scanlineStride + (x - translateX) x pixelStride + bandOffset[b]} of its bank, after the
     * bank's offset.
     */
    static float[] direct(Raster raster, int[] bands, float scale) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel model)) {
            return null;
        }
        DataBuffer buffer = raster.getDataBuffer();
        short[][] shorts = buffer instanceof DataBufferUShort ushort ? ushort.getBankData() : null;
        byte[][] bytes =
                buffer instanceof DataBufferByte bytesBuffer ? bytesBuffer.getBankData() : null;
        if (shorts == null && bytes == null) {
            return null;
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int channels = bands.length;
        int pixelStride = model.getPixelStride();
        int scanlineStride = model.getScanlineStride();
        int modelX = raster.getMinX() - raster.getSampleModelTranslateX();
        int modelY = raster.getMinY() - raster.getSampleModelTranslateY();
        float[] samples = new float[width * height * channels];
        for (int channel = 0; channel < channels; channel++) {
            int band = bands[channel];
            int bank = model.getBankIndices()[band];
            int first = buffer.getOffsets()[bank] + model.getBandOffsets()[band];
            for (int y = 0; y < height; y++) {
                int at = first + (modelY + y) * scanlineStride + modelX * pixelStride;
                int out = y * width * channels + channel;
                for (int x = 0; x < width; x++, at += pixelStride, out += channels) {
                    float value =
                            shorts != null
                                    ? Short.toUnsignedInt(shorts[bank][at])
                                    : Byte.toUnsignedInt(bytes[bank][at]);
                    value /= scale;
                    samples[out] = value;
                }
            }
        }
        return samples;
    }

    /** Through the raster's accessors: any sample model and data type. */
    private static float[] throughTheRaster(Raster raster, ModelInput input, int[] bands) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        float[] samples;
        if (input.bands() == null) {
            samples =
                    raster.getPixels(
                            raster.getMinX(), raster.getMinY(), width, height, (float[]) null);
        } else {
            samples = new float[width * height * bands.length];
            float[] band = new float[width * height];
            for (int channel = 0; channel < bands.length; channel++) {
                raster.getSamples(
                        raster.getMinX(), raster.getMinY(), width, height, bands[channel], band);
                for (int i = 0; i < band.length; i++) {
                    samples[i * bands.length + channel] = band[i];
                }
            }
        }
        for (int i = 0; i < samples.length; i++) {
            samples[i] /= input.sampleScale();
        }
        return samples;
    }
}
