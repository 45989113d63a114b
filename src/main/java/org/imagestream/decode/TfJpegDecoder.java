package org.imagestream.decode;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeJpeg;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * JPEG decoding with TensorFlow's {@code DecodeJpeg} op (libjpeg-turbo, accurate integer IDCT,
 * fancy upsampling: the same decoder Pillow uses). At full size it is slower than the ImageIO path
 * here (session call and copies; docs/benchmarks.md); its gain is DCT-domain downscaling of photos
 * much larger than the model input. Used for the JPEGs it decodes exactly like the reference: YCbCr
 * or grayscale, without an ICC profile or an Adobe colour transform. CMYK/YCCK and ICC-tagged files
 * stay with TwelveMonkeys, which converts them to sRGB. One per decode subtask, opened in {@code
 * open()} and closed in {@code close()} (a graph and session in native memory).
 */
public final class TfJpegDecoder implements AutoCloseable {
    private final Graph graph;
    private final Session session;
    private final Placeholder<TString> input;

    /** 1/1, 1/2, 1/4 and 1/8: the scales libjpeg decodes at. */
    private static final int RATIOS = 4;

    /** DecodeJpeg at scale 1/1, 1/2, 1/4 and 1/8 (libjpeg's DCT scaling; a graph attribute). */
    private final DecodeJpeg[] decodeAtRatio = new DecodeJpeg[RATIOS];

    public TfJpegDecoder() {
        graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            input = tf.placeholder(TString.class);
            for (int i = 0; i < decodeAtRatio.length; i++) {
                decodeAtRatio[i] =
                        tf.image.decodeJpeg(
                                input,
                                DecodeJpeg.channels(3L),
                                DecodeJpeg.ratio(1L << i),
                                DecodeJpeg.dctMethod("INTEGER_ACCURATE"));
            }
            session = new Session(graph);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** log2 of the scale-down ratio {@link #decode(byte[], int, int, int)} decodes at. */
    static int scaleLevel(int width, int height, int minSide) {
        int shorter = Math.min(width, height);
        int level = 0;
        while (minSide > 0 && level + 1 < RATIOS && shorter >> (level + 1) >= minSide) {
            level++;
        }
        return level;
    }

    /** Pixels of the image {@link #decode(byte[], int, int, int)} returns. */
    static long scaledPixels(int width, int height, int minSide) {
        int ratio = 1 << scaleLevel(width, height, minSide);
        return (long) ((width + ratio - 1) / ratio) * ((height + ratio - 1) / ratio);
    }

    /** True for a JPEG this decoder renders exactly as the reference decoders do. */
    static boolean handles(JpegMarkers markers) {
        return markers != null
                && markers.hasFrame()
                && (markers.components() == 3 || markers.components() == 1)
                && !markers.iccProfile()
                && !markers.adobe();
    }

    /**
     * The image as 3-byte BGR (the layout ImageIO gives JPEGs, so orientation and preprocessing are
     * shared).
     *
     * @throws RuntimeException when TensorFlow cannot decode the bytes
     */
    BufferedImage decode(byte[] jpeg, int width, int height) {
        return decode(jpeg, width, height, 0);
    }

    /**
     * The image decoded at the smallest of 1/1, 1/2, 1/4, 1/8 of its size whose shorter side is
     * still at least {@code minSide} (libjpeg scales in the DCT domain, skipping most of the work),
     * for a model input that is resampled down to that size anyway.
     */
    BufferedImage decode(byte[] jpeg, int width, int height, int minSide) {
        int level = scaleLevel(width, height, minSide);
        int ratio = 1 << level;
        try (TString bytes = TString.tensorOfBytes(NdArrays.scalarOfObject(jpeg));
                Result result =
                        session.runner().feed(input, bytes).fetch(decodeAtRatio[level]).run()) {
            TUint8 pixels = (TUint8) result.get(0);
            long[] shape = pixels.shape().asArray();
            // libjpeg rounds scaled dimensions up.
            width = (width + ratio - 1) / ratio;
            height = (height + ratio - 1) / ratio;
            if (shape[0] != height || shape[1] != width || shape[2] != 3) {
                throw new IllegalStateException(
                        "decoded " + pixels.shape() + ", the header says " + width + "x" + height);
            }
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            pixels.copyTo(DataBuffers.of(bgr, false, false));
            for (int i = 0; i < bgr.length; i += 3) {
                byte red = bgr[i];
                bgr[i] = bgr[i + 2];
                bgr[i + 2] = red;
            }
            return image;
        }
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }
}
