package org.imagestream.decode;

import java.io.IOException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;

/**
 * The first stage, chained to the Kafka source: everything decided per record before the shuffle
 * and before any pixel is decoded. Counts the record per domain, protects a medical record's
 * metadata and de-identifies its bytes, bounds the stored header values and the record size,
 * resolves the domain to a configured model, and computes the content address (SHA-256) the shard
 * ring and the dedup cache key on. Its output carries only the original (de-identified) bytes:
 * decoding happens after the shuffle, in the keyed classify operator ({@link ImageDecoder}), and
 * only for images the dedup cache does not already know. Anything refused goes to the {@link
 * #DEAD_LETTERS} side output with its reason; never throws for bad input, so one corrupt record
 * cannot restart the job.
 */
public class PrepareFunction extends ProcessFunction<ImageRecord, DecodedImage> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    /** The dead letters' stage, before or after the shuffle: decoding is one stage to readers. */
    static final String STAGE = "decode";

    /** The content type of every de-identified medical record (a DICOM Part 10 file). */
    static final String DICOM_CONTENT_TYPE = "application/dicom";

    /**
     * How far into a record the {@code DICM} prefix of a file meta group is looked for: a Part 10
     * file without its preamble, or inside a wrapper (a multipart body), is still DICOM.
     */
    private static final int DICOM_PREFIX_SEARCH = 1024;

    private final EnumMap<Domain, ModelInput> inputs;
    private final int maxImageBytes;
    private final DecodeLimits limits;

    /** Key of the DICOM UID pseudonyms, or null when DICOM files are stored as received. */
    private byte[] uidSecret;

    private boolean acceptBurnedInAnnotation;

    /** Topics whose every record is protected as medical, whatever its headers and bytes say. */
    private Set<String> medicalTopics = Set.of();

    /** Reads images by reference, or null when they are refused. */
    private ReferenceReader references;

    private boolean streamScenes;

    private transient Map<String, Counter> receivedByDomain;
    private transient Map<String, Counter> rejectedByReason;
    private transient Counter rejected;
    private transient DicomDeidentifier deidentifier;
    private transient Counter referencedBytes;
    private transient Counter scenesStreamed;

    /**
     * @param inputs the configured models' inputs: records of other domains are dead-lettered
     * @param maxImageBytes records larger than this are dead-lettered as {@code TOO_LARGE}
     */
    public PrepareFunction(Map<Domain, ModelInput> inputs, int maxImageBytes) {
        this(inputs, maxImageBytes, DecodeLimits.DEFAULT);
    }

    /**
     * @param limits the de-identifier's limits (a deflated DICOM inflates at most to the decode
     *     memory budget)
     */
    public PrepareFunction(Map<Domain, ModelInput> inputs, int maxImageBytes, DecodeLimits limits) {
        this.inputs = new EnumMap<>(inputs);
        this.maxImageBytes = maxImageBytes;
        this.limits = limits;
    }

    /**
     * De-identifies every DICOM file before it is hashed, shuffled and stored, so blobs and dead
     * letters never hold the original header (see {@link DicomDeidentifier}).
     *
     * @param uidSecret key of the UID pseudonyms; the same key keeps a study linkable
     */
    public PrepareFunction deidentifyDicom(byte[] uidSecret) {
        return deidentifyDicom(uidSecret, false);
    }

    /**
     * @param acceptBurnedInAnnotation keep files that declare Burned In Annotation = YES instead of
     *     dead-lettering them
     */
    public PrepareFunction deidentifyDicom(byte[] uidSecret, boolean acceptBurnedInAnnotation) {
        this.uidSecret = uidSecret.clone();
        this.acceptBurnedInAnnotation = acceptBurnedInAnnotation;
        return this;
    }

    /**
     * Protects every record read from these topics as a medical record (fail closed): a DICOM file
     * the sniffer misses (gzipped, wrapped, cut before its prefix) or sent without a domain header
     * is still de-identified, or dead-lettered without its bytes and free headers.
     */
    public PrepareFunction medicalTopics(List<String> topics) {
        this.medicalTopics = Set.copyOf(topics);
        return this;
    }

    /**
     * Reads records with an empty value and a {@code content-location} header from that URI (see
     * {@link ReferenceReader}); without this they are dead-lettered as {@code REFERENCE_REFUSED}.
     *
     * @param allowedPrefixes absolute directory URIs (ending with {@code /}) references may name
     * @param maxBytes largest object read
     */
    public PrepareFunction readReferences(List<String> allowedPrefixes, long maxBytes) {
        return readReferences(allowedPrefixes, maxBytes, false);
    }

    /**
     * @param streamScenes whether TIFF scenes over the record size limit are streamed (hashed here,
     *     decoded from a local copy, their blobs copied to the offload store, which must be set);
     *     otherwise references are read into the heap up to the record size limit
     */
    public PrepareFunction readReferences(
            List<String> allowedPrefixes, long maxBytes, boolean streamScenes) {
        this.references =
                allowedPrefixes.isEmpty() ? null : new ReferenceReader(allowedPrefixes, maxBytes);
        this.streamScenes = streamScenes;
        return this;
    }

    @Override
    public void open(OpenContext openContext) throws IOException {
        if (references != null) {
            // A prefix whose scheme has no file system plugin fails the start, not every record.
            references.checkAvailable();
        }
        // Also without a medical model: its records are dead-lettered, and must be de-identified
        // for that too.
        if (uidSecret != null) {
            deidentifier = new DicomDeidentifier(uidSecret, limits, acceptBurnedInAnnotation);
        }
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        rejected = metrics.counter("imagesRejected");
        referencedBytes = metrics.counter("referencedBytesRead");
        scenesStreamed = metrics.counter("scenesStreamed");
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
    public void processElement(ImageRecord record, Context context, Collector<DecodedImage> out)
            throws IOException {
        Counter received = record.domain == null ? null : receivedByDomain.get(record.domain);
        if (received != null) {
            received.inc();
        }
        // An image by reference is read first: whether it is medical depends on its bytes. Read
        // before its headers are protected, which drops content-location for medical records.
        DecodeException refused = null;
        String streamedSha256 = null;
        String location = ReferenceReader.locationOf(record);
        if (location != null) {
            record.byReference = true;
            try {
                if (references == null) {
                    throw new DecodeException(
                            DecodeException.Reason.REFERENCE_REFUSED,
                            "images by reference are off (ingest.reference-prefixes is empty)");
                }
                ReferenceReader.Resolved resolved =
                        references.resolve(location, maxImageBytes, streamScenes);
                record.bytes = resolved.bytes();
                record.streamedLocation = resolved.streamedLocation();
                record.streamedSize = resolved.streamedLocation() == null ? 0 : resolved.size();
                streamedSha256 = resolved.sha256();
                referencedBytes.inc(resolved.size());
            } catch (DecodeException e) {
                refused = e;
            } catch (IOException e) {
                // Not this record's fault (the store is down): the task fails and the replay
                // reads again. The URI stays out of the message and logs: it may name a patient.
                throw new IOException(
                        "I/O error ("
                                + e.getClass().getName()
                                + ") reading the content-location of image "
                                + record.imageId);
            }
        }
        // Fail closed: a reference whose bytes were never read may be a DICOM file whatever its
        // headers say, so its metadata is protected as a medical record's.
        boolean deidentify =
                deidentifier != null
                        && (isMedical(record, medicalTopics)
                                || (refused != null && record.byReference));
        if (deidentify) {
            protectMetadata(record, deidentifier);
        }
        // Until its bytes are de-identified a medical record's dead letter carries none of them,
        // whatever refuses it first (a header, a limit, the de-identifier itself).
        boolean identifiable = deidentify;
        try {
            if (refused != null) {
                throw refused;
            }
            checkStoredHeaders(record);
            // A reference's size was bounded by ingest.max-reference-bytes as it was read.
            if (!record.byReference
                    && record.bytes != null
                    && record.bytes.length > maxImageBytes) {
                throw new DecodeException(
                        DecodeException.Reason.TOO_LARGE,
                        "image has "
                                + record.bytes.length
                                + " bytes, the limit is "
                                + maxImageBytes);
            }
            if (deidentify && record.bytes != null && record.bytes.length > 0) {
                record.bytes = deidentifier.deidentify(record.bytes);
                identifiable = false;
                // Only now is it known to be a DICOM file; a producer's own content type is free
                // text (a file name in a MIME parameter) and was dropped with the other headers.
                record.contentType = DICOM_CONTENT_TYPE;
                record.headers.put(ImageHeaders.CONTENT_TYPE, DICOM_CONTENT_TYPE);
            }
            if (record.streamedLocation != null && deidentify) {
                // De-identification rewrites bytes in the heap: medical records never stream.
                throw new DecodeException(
                        DecodeException.Reason.TOO_LARGE,
                        "medical record over limits.max-image-bytes ("
                                + maxImageBytes
                                + " bytes): de-identified in the heap only");
            }
            DecodedImage prepared = prepare(record, inputs, streamedSha256);
            if (record.streamedLocation != null
                    && !Domain.REMOTE_SENSING.id().equals(record.domain)) {
                throw new DecodeException(
                        DecodeException.Reason.TOO_LARGE,
                        record.domain
                                + " record over limits.max-image-bytes ("
                                + maxImageBytes
                                + " bytes): only remote-sensing scenes are streamed");
            }
            if (record.streamedLocation != null) {
                scenesStreamed.inc();
            }
            out.collect(prepared);
        } catch (DecodeException e) {
            rejected.inc();
            rejectedByReason.get(e.reason().name()).inc();
            context.output(DEAD_LETTERS, deadLetter(record, e, identifiable));
        }
    }

    /**
     * A record with its domain resolved to a configured model and its content address set, nothing
     * decoded.
     */
    static DecodedImage prepare(ImageRecord record, Map<Domain, ModelInput> inputs)
            throws DecodeException {
        return prepare(record, inputs, null);
    }

    /**
     * @param streamedSha256 the hash of a streamed scene (computed as it was read), or null to hash
     *     the record's bytes
     */
    static DecodedImage prepare(
            ImageRecord record, Map<Domain, ModelInput> inputs, String streamedSha256)
            throws DecodeException {
        if (record.domain == null) {
            throw new DecodeException(
                    DecodeException.Reason.UNKNOWN_DOMAIN, "the record has no domain header");
        }
        Domain domain;
        try {
            domain = Domain.fromId(record.domain);
        } catch (IllegalArgumentException e) {
            throw new DecodeException(DecodeException.Reason.UNKNOWN_DOMAIN, e.getMessage());
        }
        if (!inputs.containsKey(domain)) {
            throw new DecodeException(
                    DecodeException.Reason.UNKNOWN_DOMAIN,
                    "no model is configured for domain " + domain.id());
        }
        DecodedImage image = new DecodedImage();
        image.record = record;
        image.record.domain = domain.id();
        // Lower-case hex SHA-256: the blob's content address, the ring's and the dedup key.
        image.contentSha256 =
                streamedSha256 != null
                        ? streamedSha256
                        : DigestUtils.sha256Hex(record.bytes == null ? new byte[0] : record.bytes);
        return image;
    }

    /**
     * The dead letter of a refused record: with its bytes, so it can be replayed as is, except for
     * a medical record refused before its bytes were de-identified ({@code identifiable}: they may
     * hold patient data) and a record over a size limit (a pointer, {@code dead-letter-origin},
     * instead, so the dead-letter topic never needs a larger record size than the input topics).
     */
    static DeadLetter deadLetter(ImageRecord record, DecodeException e, boolean identifiable) {
        DeadLetter deadLetter = DeadLetter.of(record, STAGE, e.reason().name(), e.getMessage());
        if (identifiable) {
            deadLetter.bytes = new byte[0];
            deadLetter.message += "; bytes not copied: a medical record not de-identified";
        } else if (e.reason() == DecodeException.Reason.TOO_LARGE) {
            deadLetter.bytes = new byte[0];
            deadLetter.message += "; original bytes not copied, see dead-letter-origin";
        }
        return deadLetter;
    }

    /**
     * The Kafka metadata of a medical record, before anything is stored or dead-lettered: the
     * source id becomes a keyed pseudonym (a file name may name the patient), the domain header is
     * kept only when it names a domain, and no other header is kept (a producer's free headers and
     * its content type's parameters may hold anything; the content type is set again once the bytes
     * are de-identified).
     */
    static void protectMetadata(ImageRecord record, DicomDeidentifier deidentifier) {
        if (record.sourceId != null) {
            record.sourceId = deidentifier.sourceIdPseudonym(record.sourceId);
        }
        Map<String, String> kept = new HashMap<>();
        if (record.domain != null) {
            try {
                Domain.fromId(record.domain);
                kept.put(ImageHeaders.DOMAIN, record.domain);
            } catch (IllegalArgumentException e) {
                // Not a domain: free text, not echoed into a dead letter's message either.
                record.domain = null;
            }
        }
        if (record.sourceId != null) {
            kept.put(ImageHeaders.SOURCE_ID, record.sourceId);
        }
        record.contentType = null;
        record.headers = kept;
    }

    /**
     * Medical for privacy purposes, decided once and failing closed: DICOM bytes (the {@code DICM}
     * prefix of a file meta group at offset 128 or anywhere in the first KiB, or a data set without
     * the Part 10 preamble) whatever the headers or topic say; a record from one of {@code
     * medicalTopics}; or a domain header, its name in any case, that names medical in any spelling
     * {@link Domain#fromId} accepts ({@code MEDICAL}, {@code " medical"}).
     */
    static boolean isMedical(ImageRecord record, Set<String> medicalTopics) {
        if (record.bytes != null
                && (DicomDecoder.isDicomPart10(record.bytes)
                        || hasFileMetaPrefix(record.bytes)
                        || DicomSniffer.looksLikeDataSet(record.bytes))) {
            return true;
        }
        if (record.topic != null && medicalTopics.contains(record.topic)) {
            return true;
        }
        if (namesMedical(record.domain)) {
            return true;
        }
        for (Map.Entry<String, String> header : record.headers.entrySet()) {
            if (header.getKey().trim().equalsIgnoreCase(ImageHeaders.DOMAIN)
                    && namesMedical(header.getValue())) {
                return true;
            }
        }
        return false;
    }

    private static boolean namesMedical(String domain) {
        try {
            return Domain.fromId(domain) == Domain.MEDICAL;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * {@code DICM} followed by a group 0002 tag (little endian) in the first KiB: a file meta group
     * wherever it starts. Six bytes that compressed photo data reaches by chance about once in 2^48
     * positions.
     */
    static boolean hasFileMetaPrefix(byte[] bytes) {
        int last = Math.min(bytes.length - 6, DICOM_PREFIX_SEARCH);
        for (int at = 0; at <= last; at++) {
            if (bytes[at] == 'D'
                    && bytes[at + 1] == 'I'
                    && bytes[at + 2] == 'C'
                    && bytes[at + 3] == 'M'
                    && bytes[at + 4] == 0x02
                    && bytes[at + 5] == 0x00) {
                return true;
            }
        }
        return false;
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
}
