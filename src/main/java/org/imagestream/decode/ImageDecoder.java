package org.imagestream.decode;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;

/**
 * Decodes a prepared image (see {@link PrepareFunction}) into its model input, inside the keyed
 * classify operator: after the shuffle and after the dedup lookup, so only original bytes cross the
 * network, no tensor is ever serialised, and a deduplicated copy is never decoded. Owns the decode
 * metrics ({@code imagesDecoded}, {@code imagesRejected}, {@code decodeLatencyMs}, {@code
 * imagesDeadLettered} per reason) and turns a failure into a dead letter. Plain Java apart from the
 * metric types; opened and closed by its operator.
 */
public final class ImageDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final EnumMap<Domain, ModelInput> inputs;
    private final DecodeLimits limits;
    private final boolean tensorflowJpeg;

    private transient TfJpegDecoder jpeg;

    /** Where streamed scenes are copied to be decoded (the TaskManager's temporary directory). */
    private transient Path spoolDirectory;

    private transient Counter decoded;
    private transient Counter rejected;
    private transient Histogram decodeMillis;
    private transient Map<String, Counter> deadLettered;

    /**
     * @param limits declared raster sizes beyond these are dead-lettered as {@code TOO_LARGE}
     *     before any pixel is decoded
     * @param tensorflowJpeg decode plain YCbCr/grayscale JPEGs with TensorFlow's op (faster)
     */
    public ImageDecoder(
            Map<Domain, ModelInput> inputs, DecodeLimits limits, boolean tensorflowJpeg) {
        this.inputs = new EnumMap<>(inputs);
        this.limits = limits;
        this.tensorflowJpeg = tensorflowJpeg;
    }

    /**
     * Opens the JPEG decoder and registers the metrics under {@code metrics}; {@code extraReasons}
     * are further {@code imagesDeadLettered} reasons the operator counts itself (MODEL_ERROR),
     * registered here so each reason's counter exists once.
     */
    public void open(MetricGroup metrics, String... extraReasons) {
        open(metrics, Path.of(System.getProperty("java.io.tmpdir")), extraReasons);
    }

    /**
     * @param spoolDirectory where scenes streamed from an object store are copied while decoded
     */
    public void open(MetricGroup metrics, Path spoolDirectory, String... extraReasons) {
        this.spoolDirectory = spoolDirectory;
        if (tensorflowJpeg && inputs.containsKey(Domain.SOCIAL)) {
            jpeg = new TfJpegDecoder();
        }
        decoded = metrics.counter("imagesDecoded");
        rejected = metrics.counter("imagesRejected");
        decodeMillis =
                metrics.histogram("decodeLatencyMs", new DescriptiveStatisticsHistogram(1024));
        deadLettered = new HashMap<>();
        for (DecodeException.Reason reason : DecodeException.Reason.values()) {
            deadLettered.put(
                    reason.name(),
                    metrics.addGroup("reason", reason.name()).counter("imagesDeadLettered"));
        }
        for (String reason : extraReasons) {
            deadLettered.put(
                    reason, metrics.addGroup("reason", reason).counter("imagesDeadLettered"));
        }
    }

    /** The {@code imagesDeadLettered} counter of a reason registered by {@link #open}. */
    public Counter deadLetteredCounter(String reason) {
        return deadLettered.get(reason);
    }

    /** Fills the pixels, geometry, parts and extras of a prepared image. */
    public void decodeInto(DecodedImage image) throws DecodeException {
        decodeInto(image, null);
    }

    /**
     * Like {@link #decodeInto(DecodedImage)}, but a tiled scene's tiles go to {@code sink} as they
     * are read, and the image is left without pixels ({@code pixels} null, {@code parts} set): its
     * tiles were classified already. Other images are filled as usual.
     */
    public void decodeInto(DecodedImage image, PartSink sink) throws DecodeException {
        long started = System.nanoTime();
        // decodeLatencyMs is the decode's own time: the model calls on handed-over tiles are not.
        long[] inSink = new long[1];
        PartSink timed =
                sink == null
                        ? null
                        : new PartSink() {
                            @Override
                            public int maxInputs() {
                                return sink.maxInputs();
                            }

                            @Override
                            public boolean accept(java.util.List<float[]> parts) {
                                long handedOver = System.nanoTime();
                                try {
                                    return sink.accept(parts);
                                } finally {
                                    inSink[0] += System.nanoTime() - handedOver;
                                }
                            }
                        };
        decode(image, inputs, limits, jpeg, spoolDirectory, timed);
        decodeMillis.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started - inSink[0]));
        decoded.inc();
    }

    /** Counts a failed decode and returns its dead letter. */
    public DeadLetter reject(DecodedImage image, DecodeException e) {
        rejected.inc();
        deadLettered.get(e.reason().name()).inc();
        return PrepareFunction.deadLetter(image.record, e, false);
    }

    public void close() {
        if (jpeg != null) {
            jpeg.close();
            jpeg = null;
        }
    }

    /**
     * Decodes a prepared image for its domain's model input (its domain resolved, its hash set).
     *
     * @param jpeg TensorFlow's JPEG decoder, or null for ImageIO only
     */
    static void decode(
            DecodedImage image,
            Map<Domain, ModelInput> inputs,
            DecodeLimits limits,
            TfJpegDecoder jpeg,
            Path spoolDirectory,
            PartSink sink)
            throws DecodeException {
        Domain domain = Domain.fromId(image.record.domain);
        ModelInput input = inputs.get(domain);
        DecodedPixels pixels;
        if (image.record.streamedLocation != null) {
            try {
                pixels =
                        StreamedScene.decode(
                                image.record.streamedLocation,
                                image.record.streamedSize,
                                image.contentSha256,
                                input,
                                limits,
                                spoolDirectory,
                                sink);
            } catch (IOException e) {
                // The object store or the local disk failed: not this record's fault, so the
                // task fails and the replay tries again.
                throw new UncheckedIOException(
                        "cannot copy the streamed scene of " + image.record.imageId, e);
            }
        } else {
            pixels = ImageDecoders.decode(domain, image.record.bytes, input, limits, jpeg, sink);
        }
        image.originalWidth = pixels.originalWidth();
        image.originalHeight = pixels.originalHeight();
        image.pixels = pixels.pixels();
        image.extras = new HashMap<>(pixels.extras());
        image.parts = pixels.parts();
        image.partExtras = new ArrayList<>(pixels.partExtras());
        image.height = input.height();
        image.width = input.width();
        image.channels = input.channels();
        image.decodedAtMillis = System.currentTimeMillis();
    }

    /** Prepares and decodes a record in one step: the plain-Java path of tests and benchmarks. */
    public static DecodedImage decode(ImageRecord record, Map<Domain, ModelInput> inputs)
            throws DecodeException {
        return decode(record, inputs, DecodeLimits.DEFAULT);
    }

    public static DecodedImage decode(
            ImageRecord record, Map<Domain, ModelInput> inputs, DecodeLimits limits)
            throws DecodeException {
        return decode(record, inputs, limits, null);
    }

    /**
     * @param jpeg TensorFlow's JPEG decoder, or null for ImageIO only
     */
    public static DecodedImage decode(
            ImageRecord record,
            Map<Domain, ModelInput> inputs,
            DecodeLimits limits,
            TfJpegDecoder jpeg)
            throws DecodeException {
        DecodedImage image = PrepareFunction.prepare(record, inputs);
        decode(image, inputs, limits, jpeg, Path.of(System.getProperty("java.io.tmpdir")), null);
        return image;
    }
}
