package org.imagestream.decode;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;

/**
 * The decode stage: turns each {@link ImageRecord} into a {@link DecodedImage} for its domain's
 * model, or sends it to the {@link #DEAD_LETTERS} side output with the reason. Never throws for bad
 * input, so one corrupt file cannot restart the job.
 */
public class DecodeFunction extends ProcessFunction<ImageRecord, DecodedImage> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    static final String STAGE = "decode";

    private final EnumMap<Domain, ModelInput> inputs;

    private transient Counter decoded;
    private transient Counter rejected;
    private transient Map<String, Counter> receivedByDomain;
    private transient Map<String, Counter> rejectedByReason;
    private transient Histogram decodeMillis;

    private final int maxImageBytes;
    private final DecodeLimits limits;
    private final boolean tensorflowJpeg;

    /** Key of the DICOM UID pseudonyms, or null when DICOM files are stored as received. */
    private byte[] uidSecret;

    private boolean acceptBurnedInAnnotation;

    private transient TfJpegDecoder jpeg;
    private transient DicomDeidentifier deidentifier;

    /**
     * @param maxImageBytes records larger than this are dead-lettered as {@code TOO_LARGE}
     */
    public DecodeFunction(Map<Domain, ModelInput> inputs, int maxImageBytes) {
        this(inputs, maxImageBytes, DecodeLimits.DEFAULT);
    }

    /**
     * @param limits declared raster sizes beyond these are dead-lettered as {@code TOO_LARGE}
     *     before any pixel is decoded
     */
    public DecodeFunction(Map<Domain, ModelInput> inputs, int maxImageBytes, DecodeLimits limits) {
        this(inputs, maxImageBytes, limits, false);
    }

    /**
     * @param tensorflowJpeg decode plain YCbCr/grayscale JPEGs with TensorFlow's op (faster)
     */
    public DecodeFunction(
            Map<Domain, ModelInput> inputs,
            int maxImageBytes,
            DecodeLimits limits,
            boolean tensorflowJpeg) {
        this.inputs = new EnumMap<>(inputs);
        this.maxImageBytes = maxImageBytes;
        this.limits = limits;
        this.tensorflowJpeg = tensorflowJpeg;
    }

    /**
     * De-identifies every DICOM file before it is decoded, hashed and stored, so blobs and dead
     * letters never hold the original header (see {@link DicomDeidentifier}).
     *
     * @param uidSecret key of the UID pseudonyms; the same key keeps a study linkable
     */
    public DecodeFunction deidentifyDicom(byte[] uidSecret) {
        return deidentifyDicom(uidSecret, false);
    }

    /**
     * @param acceptBurnedInAnnotation keep files that declare Burned In Annotation = YES instead of
     *     dead-lettering them
     */
    public DecodeFunction deidentifyDicom(byte[] uidSecret, boolean acceptBurnedInAnnotation) {
        this.uidSecret = uidSecret.clone();
        this.acceptBurnedInAnnotation = acceptBurnedInAnnotation;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        // Also without a medical model: its records are dead-lettered, and must be de-identified
        // for that too.
        if (uidSecret != null) {
            deidentifier = new DicomDeidentifier(uidSecret, limits, acceptBurnedInAnnotation);
        }
        if (tensorflowJpeg && inputs.containsKey(Domain.SOCIAL)) {
            jpeg = new TfJpegDecoder();
        }
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        decoded = metrics.counter("imagesDecoded");
        rejected = metrics.counter("imagesRejected");
        decodeMillis =
                metrics.histogram("decodeLatencyMs", new DescriptiveStatisticsHistogram(1024));
        receivedByDomain = new HashMap<>();
        for (Domain domain : Domain.values()) {
            receivedByDomain.put(
                    domain.id(), metrics.addGroup("domain", domain.id()).counter("imagesReceived"));
        }
        rejectedByReason = new HashMap<>();
        for (DecodeException.Reason reason : DecodeException.Reason.values()) {
            rejectedByReason.put(
                    reason.name(),
                    metrics.addGroup("reason", reason.name()).counter("imagesDeadLettered"));
        }
    }

    @Override
    public void processElement(ImageRecord record, Context context, Collector<DecodedImage> out) {
        Counter received = record.domain == null ? null : receivedByDomain.get(record.domain);
        if (received != null) {
            received.inc();
        }
        long started = System.nanoTime();
        boolean identifiable = false;
        boolean deidentify = deidentifier != null && isMedical(record);
        if (deidentify) {
            protectMetadata(record, deidentifier);
        }
        try {
            checkStoredHeaders(record);
            if (record.bytes != null && record.bytes.length > maxImageBytes) {
                throw new DecodeException(
                        DecodeException.Reason.TOO_LARGE,
                        "image has "
                                + record.bytes.length
                                + " bytes, the limit is "
                                + maxImageBytes);
            }
            if (deidentify && record.bytes != null && record.bytes.length > 0) {
                try {
                    record.bytes = deidentifier.deidentify(record.bytes);
                } catch (DecodeException e) {
                    identifiable = true;
                    throw e;
                }
            }
            DecodedImage image = decode(record, inputs, limits, jpeg);
            decodeMillis.update(
                    java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(
                            System.nanoTime() - started));
            out.collect(image);
            decoded.inc();
        } catch (DecodeException e) {
            rejected.inc();
            rejectedByReason.get(e.reason().name()).inc();
            DeadLetter deadLetter = DeadLetter.of(record, STAGE, e.reason().name(), e.getMessage());
            if (identifiable) {
                // A DICOM file that could not be de-identified may hold patient data: the dead
                // letter carries the reason and a pointer, never the bytes.
                deadLetter.bytes = new byte[0];
                deadLetter.message += "; bytes not copied: the file could not be de-identified";
            } else if (e.reason() == DecodeException.Reason.TOO_LARGE) {
                // Over the limit: carry a pointer (dead-letter-origin) instead of the bytes, so
                // the dead-letter topic never needs a larger record size than the input topics.
                deadLetter.bytes = new byte[0];
                deadLetter.message += "; original bytes not copied, see dead-letter-origin";
            }
            context.output(DEAD_LETTERS, deadLetter);
        }
    }

    /**
     * The Kafka metadata of a medical record, before anything is stored or dead-lettered: the
     * source id becomes a keyed pseudonym (a file name may name the patient) and only the headers
     * the job itself defines are kept (a producer's free headers may hold anything).
     */
    static void protectMetadata(ImageRecord record, DicomDeidentifier deidentifier) {
        if (record.sourceId != null) {
            record.sourceId = deidentifier.sourceIdPseudonym(record.sourceId);
        }
        Map<String, String> kept = new HashMap<>();
        for (String name : List.of(ImageHeaders.DOMAIN, ImageHeaders.CONTENT_TYPE)) {
            if (record.headers.containsKey(name)) {
                kept.put(name, record.headers.get(name));
            }
        }
        if (record.sourceId != null) {
            kept.put(ImageHeaders.SOURCE_ID, record.sourceId);
        }
        record.headers = kept;
    }

    /**
     * Medical for privacy purposes, decided once: DICOM bytes (the {@code DICM} prefix at offset
     * 128, or a data set without the Part 10 preamble) whatever the headers or topic say, or a
     * domain header that names medical in any spelling {@link Domain#fromId} accepts ({@code
     * MEDICAL}, {@code " medical"}).
     */
    static boolean isMedical(ImageRecord record) {
        if (record.bytes != null
                && (ImageDecoders.isDicomPart10(record.bytes)
                        || DicomSniffer.looksLikeDataSet(record.bytes))) {
            return true;
        }
        try {
            return Domain.fromId(record.domain) == Domain.MEDICAL;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Header values that end up in Cassandra columns and keys are bounded before anything is
     * stored: an oversized one would be refused by Cassandra on every replay.
     */
    static void checkStoredHeaders(ImageRecord record) throws DecodeException {
        String[][] stored = {
            {ImageHeaders.SOURCE_ID, record.sourceId},
            {ImageHeaders.CONTENT_TYPE, record.contentType},
            {ImageHeaders.DOMAIN, record.domain}
        };
        for (String[] header : stored) {
            if (header[1] != null && header[1].length() > ImageHeaders.MAX_VALUE_CHARS) {
                throw new DecodeException(
                        DecodeException.Reason.INVALID_HEADER,
                        "header '"
                                + header[0]
                                + "' has "
                                + header[1].length()
                                + " characters, the limit is "
                                + ImageHeaders.MAX_VALUE_CHARS);
            }
        }
    }

    /** Plain-Java core of the stage, shared with tests and benchmarks. */
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
        Domain domain;
        try {
            domain = Domain.fromId(record.domain);
        } catch (IllegalArgumentException e) {
            throw new DecodeException(DecodeException.Reason.UNKNOWN_DOMAIN, e.getMessage());
        }
        ModelInput input = inputs.get(domain);
        if (input == null) {
            throw new DecodeException(
                    DecodeException.Reason.UNKNOWN_DOMAIN,
                    "no model is configured for domain " + domain.id());
        }
        DecodedPixels pixels = ImageDecoders.decode(domain, record.bytes, input, limits, jpeg);
        DecodedImage image = new DecodedImage();
        image.record = record;
        image.record.domain = domain.id();
        image.contentSha256 = DigestUtils.sha256Hex(record.bytes);
        image.originalWidth = pixels.originalWidth();
        image.originalHeight = pixels.originalHeight();
        image.pixels = pixels.pixels();
        image.extras = new java.util.HashMap<>(pixels.extras());
        image.parts = pixels.parts();
        image.partExtras = new java.util.ArrayList<>(pixels.partExtras());
        image.height = input.height();
        image.width = input.width();
        image.channels = input.channels();
        image.decodedAtMillis = System.currentTimeMillis();
        return image;
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (jpeg != null) {
                jpeg.close();
                jpeg = null;
            }
        }
    }
}
