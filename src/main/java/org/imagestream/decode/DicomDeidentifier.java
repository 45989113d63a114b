package org.imagestream.decode;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.imagestream.decode.DecodeException.Reason;

/**
 * De-identifies a DICOM Part 10 file before the job stores it, by an <b>allow-list</b>: only the
 * attributes the decoders and the stored extras need are kept, each named below with its reason;
 * every other element is removed, whatever its tag, VR or transfer syntax (implicit VR included:
 * the list carries each kept attribute's VR), and so are all sequences, overlays, curves, private
 * elements and file-meta elements other than the five a Part 10 file needs. No free-text value
 * survives: a kept element must have its attribute's VR and length and its VR's characters ({@link
 * DicomAllowList}), or it is dropped; person names, dates, descriptions and comments are on no
 * list. An attribute present twice is refused (which value would a reader take?), and the bits of
 * native pixel data outside Bits Stored, where old overlays live, are cleared ({@link
 * UnusedPixelBits}).
 *
 * <ul>
 *   <li>Study, Series, SOP Instance and Frame of Reference UIDs, and the file meta's Media Storage
 *       SOP Instance UID, are replaced by {@code 2.25.<decimal>} from a keyed hash (HMAC-SHA-256),
 *       so one study's files stay linkable and the same file always de-identifies to the same
 *       bytes.
 *   <li>Burned In Annotation (0028,0301) other than {@code NO} ({@code YES}, {@code yes},
 *       anything), or absent from an ultrasound, secondary capture or visible-light image ({@link
 *       BurnedInText}): the pixels may show identifying text, which no header rule removes; the
 *       file is refused ({@code BURNED_IN_ANNOTATION}) unless the site accepts such files.
 *   <li>Patient Identity Removed (0012,0062) = {@code YES} and De-identification Method (0012,0063)
 *       are added; the 128-byte preamble is zeroed.
 * </ul>
 *
 * A deflated file is stored deflated again.
 */
public final class DicomDeidentifier {
    static final String METHOD = "imagestream: allow-list, PS3.15 E basic profile";

    /**
     * The file meta elements a Part 10 file needs: version, media storage SOP class and (replaced)
     * instance, transfer syntax, implementation class UID. Not the implementation version name, the
     * source AE title or private information: free text.
     */
    private static final Set<Integer> KEPT_META =
            Set.of(0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012);

    private static final int FILE_META_VERSION = 0x00020001;
    private static final int MEDIA_STORAGE_SOP_CLASS_UID = 0x00020002;
    private static final int MEDIA_STORAGE_SOP_INSTANCE_UID = 0x00020003;
    private static final int PATIENT_IDENTITY_REMOVED = 0x00120062;
    private static final int BITS_ALLOCATED = 0x00280100;
    private static final int BITS_STORED = 0x00280101;
    private static final int HIGH_BIT = 0x00280102;
    private static final int SOP_CLASS_UID = 0x00080016;
    private static final int MODALITY = 0x00080060;

    private final byte[] key;

    /**
     * HMAC-SHA-256 keyed once; every hash is computed on a clone of it (a JCE lookup and key set-up
     * per UID cost more than the hash), which also keeps the de-identifier safe to share between
     * threads: this instance is only ever read. Null when the provider cannot clone.
     */
    private final Mac keyedHmac;

    private final DecodeLimits limits;
    private final boolean acceptBurnedInAnnotation;

    /**
     * @param uidKey secret for the UID hash; keep it stable (a replay must produce the same bytes,
     *     the blob's content address) and out of logs
     */
    public DicomDeidentifier(byte[] uidKey) {
        this(uidKey, DecodeLimits.DEFAULT);
    }

    /**
     * @param limits the job's limits: a deflated dataset is inflated only within them
     */
    public DicomDeidentifier(byte[] uidKey, DecodeLimits limits) {
        this(uidKey, limits, false);
    }

    /**
     * @param acceptBurnedInAnnotation keep files whose pixels show identifying text (Burned In
     *     Annotation = YES) instead of refusing them: only for sites that handle that themselves
     */
    public DicomDeidentifier(byte[] uidKey, DecodeLimits limits, boolean acceptBurnedInAnnotation) {
        this.key = uidKey.length == 0 ? new byte[] {0} : uidKey.clone();
        Mac keyed = newHmac();
        try {
            keyed.clone();
        } catch (CloneNotSupportedException e) {
            keyed = null;
        }
        this.keyedHmac = keyed;
        this.limits = limits;
        this.acceptBurnedInAnnotation = acceptBurnedInAnnotation;
    }

    /** The de-identified file; refuses what cannot be parsed (the caller dead-letters it). */
    public byte[] deidentify(byte[] part10) throws DecodeException {
        if (!DicomDecoder.isDicomPart10(part10)) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT, "not a DICOM Part 10 file (no DICM prefix)");
        }
        // A deflated file's inflated size is held up to four times at once (the inflated file,
        // the rewritten data set, its deflated output, the record returned): each gets a quarter
        // of the budget.
        DicomFileMeta.Readable readable;
        try {
            readable =
                    DicomFileMeta.open(
                            part10,
                            limits.withMaxDecodeMemory(
                                    Math.max(1 << 20, limits.maxDecodeMemory() / 4)));
        } catch (DecodeException e) {
            if (e.reason() != Reason.TOO_LARGE) {
                throw e;
            }
            throw new DecodeException(
                    Reason.TOO_LARGE,
                    e.getMessage()
                            + ": de-identification inflates a deflated file to a quarter of it",
                    e);
        }
        byte[] file = readable.bytes();
        String syntax = readable.transferSyntax();
        ByteOrder order =
                syntax.equals(DicomFileMeta.EXPLICIT_BE)
                        ? ByteOrder.BIG_ENDIAN
                        : ByteOrder.LITTLE_ENDIAN;
        boolean explicit = !syntax.equals(DicomFileMeta.IMPLICIT_LE);

        // The meta group first (it is never deflated: the original's is the one to read), so an
        // uncompressed file is assembled in one buffer. Its Media Storage SOP Class counts too: a
        // data set may omit its own.
        String[] mediaClass = {null};
        byte[] meta = meta(part10, readable.datasetOffset(), readable.transferSyntax(), mediaClass);
        // Room for what the rewrite adds (the marker, pseudonyms longer than the UIDs they
        // replace: a few, each attribute at most once), so the buffer never doubles.
        DatasetBytes dataset = new DatasetBytes(meta.length + file.length + 4096);
        dataset.writeBytes(meta);
        ByteBuffer in = ByteBuffer.wrap(file).order(order);
        boolean nativePixels = DicomFileMeta.NATIVE.contains(syntax);
        boolean[] markerWritten = {false};
        boolean[] burnedIn = {false};
        boolean[] annotationDeclared = {false};
        String[] sopClass = {null};
        String[] modality = {null};
        boolean[] floatPixels = {false};
        boolean[] pixels = {false};
        Set<Integer> seen = new HashSet<>();
        String[] photometric = {null};
        Map<Integer, Integer> paletteEntries = new HashMap<>();
        Map<Integer, Integer> bits = new HashMap<>();
        DicomHeader.walk(
                file,
                readable.datasetOffset(),
                syntax,
                (tag, vr, start, valueAt, end, sequence) -> {
                    if (!markerWritten[0]
                            && Integer.compareUnsigned(tag, PATIENT_IDENTITY_REMOVED) > 0) {
                        writeMarker(dataset, order, explicit);
                        markerWritten[0] = true;
                    }
                    if (sequence) {
                        if (tag == SOP_CLASS_UID
                                || tag == MODALITY
                                || tag == DicomAllowList.BURNED_IN_ANNOTATION) {
                            // What decides whether pixels may show text, unreadable: refused.
                            throw new DecodeException(
                                    Reason.CORRUPT,
                                    String.format(
                                            "DICOM attribute (%04X,%04X) is written as a sequence",
                                            tag >>> 16, tag & 0xFFFF));
                        }
                        return; // no sequence is on the allow-list
                    }
                    if (tag == DicomAllowList.FLOAT_PIXEL_DATA
                            || tag == DicomAllowList.DOUBLE_FLOAT_PIXEL_DATA) {
                        floatPixels[0] = true;
                        return;
                    }
                    boolean uid = DicomAllowList.UIDS.contains(tag);
                    if ((uid || DicomAllowList.keptVr(tag) != null) && !seen.add(tag)) {
                        // Which of two values would a reader take? Neither is trusted.
                        throw new DecodeException(
                                Reason.CORRUPT,
                                String.format(
                                        "DICOM data set holds attribute (%04X,%04X) twice",
                                        tag >>> 16, tag & 0xFFFF));
                    }
                    if (uid) {
                        writeElement(
                                dataset,
                                order,
                                explicit,
                                tag,
                                "UI",
                                pseudonym(DicomAllowList.text(file, valueAt, end)));
                        return;
                    }
                    if (tag == DicomAllowList.BURNED_IN_ANNOTATION) {
                        annotationDeclared[0] = true;
                        // Fail closed: "YES", "yes", or anything but NO means text may be there.
                        burnedIn[0] |= !DicomAllowList.text(file, valueAt, end).equals("NO");
                    } else if (tag == SOP_CLASS_UID) {
                        sopClass[0] = DicomAllowList.text(file, valueAt, end);
                    } else if (tag == MODALITY) {
                        modality[0] = DicomAllowList.text(file, valueAt, end);
                    }
                    if (!DicomAllowList.keeps(
                            tag, vr, in, valueAt, end, photometric[0], paletteEntries)) {
                        return;
                    }
                    if (tag == DicomAllowList.PHOTOMETRIC_INTERPRETATION) {
                        photometric[0] = DicomAllowList.text(file, valueAt, end);
                    } else if (DicomAllowList.PALETTE_DESCRIPTORS.contains(tag)) {
                        paletteEntries.put(tag, DicomAllowList.unsignedShort(in, valueAt, end));
                    } else if (tag == BITS_ALLOCATED || tag == BITS_STORED || tag == HIGH_BIT) {
                        bits.put(tag, DicomAllowList.unsignedShort(in, valueAt, end));
                    }
                    if (tag == DicomAllowList.PIXEL_DATA) {
                        pixels[0] = true;
                        if (EncapsulatedPixelData.DECODED.contains(syntax)) {
                            byte[] element =
                                    EncapsulatedPixelData.withoutMetadata(
                                            file,
                                            DicomHeader.read(
                                                    file, readable.datasetOffset(), syntax),
                                            syntax,
                                            start,
                                            limits);
                            dataset.writeBytes(
                                    element != null
                                            ? element
                                            : Arrays.copyOfRange(file, start, end));
                            return;
                        }
                        if (nativePixels && end - valueAt >= 0) {
                            // The decoder's defaults where an attribute is absent (or was
                            // dropped): 16 bits allocated, all stored, the high bit the top one.
                            int allocated = bits.getOrDefault(BITS_ALLOCATED, 16);
                            int stored = bits.getOrDefault(BITS_STORED, allocated);
                            dataset.write(file, start, valueAt - start);
                            // Claimed before the buffer is read: claiming may grow it.
                            int at = dataset.claim(end - valueAt);
                            UnusedPixelBits.copyCleared(
                                    file,
                                    valueAt,
                                    end,
                                    dataset.buffer(),
                                    at,
                                    order,
                                    allocated,
                                    stored,
                                    bits.getOrDefault(HIGH_BIT, stored - 1));
                            return;
                        }
                    }
                    dataset.write(file, start, end - start);
                });
        String assumed =
                annotationDeclared[0]
                        ? null
                        : BurnedInText.assumedIn(modality[0], sopClass[0], mediaClass[0]);
        if (assumed != null && !acceptBurnedInAnnotation) {
            throw new DecodeException(
                    Reason.BURNED_IN_ANNOTATION,
                    "DICOM file of "
                            + assumed
                            + " does not declare Burned In Annotation: such images commonly show"
                            + " identifying text in their pixels (PS3.15 Annex E), which"
                            + " de-identification cannot remove"
                            + " (medical.accept-burned-in-annotation)");
        }
        if (burnedIn[0] && !acceptBurnedInAnnotation) {
            throw new DecodeException(
                    Reason.BURNED_IN_ANNOTATION,
                    "DICOM file declares Burned In Annotation other than NO: its pixels may show"
                            + " identifying text that de-identification cannot remove"
                            + " (medical.accept-burned-in-annotation)");
        }
        if (floatPixels[0] && !pixels[0]) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT,
                    "DICOM float or double float pixel data (7FE0,0008/0009) is not decoded");
        }
        if (!markerWritten[0]) {
            writeMarker(dataset, order, explicit);
        }
        if (readable.bytes() != part10) {
            // Deflated: stored deflated again (the meta group of the original names the deflated
            // syntax), so a record does not grow to its inflated size on its way to storage.
            return deflated(meta, dataset);
        }
        return dataset.toByteArray();
    }

    /**
     * The meta group, then a raw deflate (no zlib wrapper, PS3.5 A.5) of the data set after it,
     * read from the dataset's own buffer.
     */
    private static byte[] deflated(byte[] meta, DatasetBytes metaAndDataset) {
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(6, true);
        int datasetSize = metaAndDataset.size() - meta.length;
        DatasetBytes out = new DatasetBytes(meta.length + datasetSize / 2 + 64);
        out.writeBytes(meta);
        try {
            deflater.setInput(metaAndDataset.buffer(), meta.length, datasetSize);
            deflater.finish();
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    /** A byte stream whose buffer is read in place: a dataset is never copied to be read. */
    private static final class DatasetBytes extends ByteArrayOutputStream {
        DatasetBytes(int size) {
            super(size);
        }

        byte[] buffer() {
            return buf;
        }

        /**
         * Makes the next {@code length} bytes part of the stream, to be written by the caller
         * straight into {@link #buffer()} (read it after this call: the buffer may have grown).
         *
         * @return where in the buffer they begin
         */
        int claim(int length) {
            if (length > buf.length - count) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + length));
            }
            int at = count;
            count += length;
            return at;
        }
    }

    /**
     * The file meta group with its SOP instance UID replaced and its group length recomputed;
     * {@code mediaClass[0]} gets its Media Storage SOP Class UID.
     */
    private byte[] meta(byte[] file, int datasetOffset, String syntax, String[] mediaClass)
            throws DecodeException {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream elements = new ByteArrayOutputStream();
        Set<Integer> seen = new HashSet<>();
        int at = 132;
        while (at + 8 <= datasetOffset) {
            int tag =
                    (Short.toUnsignedInt(in.getShort(at)) << 16)
                            | Short.toUnsignedInt(in.getShort(at + 2));
            String vr = new String(file, at + 4, 2, StandardCharsets.US_ASCII);
            boolean longForm = DicomHeader.LONG_VRS.contains(vr);
            int length = longForm ? in.getInt(at + 8) : Short.toUnsignedInt(in.getShort(at + 6));
            int valueAt = at + (longForm ? 12 : 8);
            int end = valueAt + length;
            if (length < 0 || end > datasetOffset) {
                throw new DecodeException(Reason.CORRUPT, "DICOM file meta group is malformed");
            }
            if (KEPT_META.contains(tag) && !seen.add(tag)) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        String.format(
                                "DICOM file meta group holds (0002,%04X) twice", tag & 0xFFFF));
            }
            if (tag == MEDIA_STORAGE_SOP_CLASS_UID) {
                mediaClass[0] = DicomAllowList.text(file, valueAt, end);
            }
            if (tag == MEDIA_STORAGE_SOP_INSTANCE_UID) {
                writeElement(
                        elements,
                        ByteOrder.LITTLE_ENDIAN,
                        true,
                        tag,
                        "UI",
                        pseudonym(DicomAllowList.text(file, valueAt, end)));
            } else if (tag == FILE_META_VERSION) {
                // Two bytes, 00 01 (PS3.10 7.1), whatever the file says.
                writeElement(elements, ByteOrder.LITTLE_ENDIAN, true, tag, "OB", new byte[] {0, 1});
            } else if (KEPT_META.contains(tag)
                    && vr.equals("UI")
                    && DicomAllowList.validText("UI", DicomAllowList.rawText(file, valueAt, end))) {
                elements.write(file, at, end - at);
            }
            at = end;
        }
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        // The 128-byte preamble is free for applications and may hold anything (text, a TIFF
        // header naming the patient): zeroed, as PS3.10 7.1 allows.
        meta.writeBytes(new byte[128]);
        meta.write(file, 128, 4);
        ByteBuffer groupLength = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        groupLength.putShort((short) 2).putShort((short) 0).put((byte) 'U').put((byte) 'L');
        groupLength.putShort((short) 4).putInt(elements.size());
        meta.writeBytes(groupLength.array());
        meta.writeBytes(elements.toByteArray());
        return meta.toByteArray();
    }

    /** {@code 2.25.} and the first 128 bits of HMAC-SHA-256(key, uid) as a decimal number. */
    String pseudonym(String uid) {
        return "2.25." + new BigInteger(1, Arrays.copyOf(hmac(uid), 16));
    }

    /**
     * A producer's source id (often a path or file name, which in a PACS export may name the
     * patient) as a keyed pseudonym: {@code medical-} and 32 hex digits of HMAC-SHA-256(key, {@code
     * "source-id:" + id}). The same id always gives the same pseudonym, so the records of one
     * source stay linkable for whoever holds the key.
     */
    public String sourceIdPseudonym(String sourceId) {
        byte[] hash = hmac("source-id:" + sourceId);
        StringBuilder hex = new StringBuilder("medical-");
        for (int i = 0; i < 16; i++) {
            hex.append(Character.forDigit((hash[i] >> 4) & 0xF, 16))
                    .append(Character.forDigit(hash[i] & 0xF, 16));
        }
        return hex.toString();
    }

    private byte[] hmac(String text) {
        Mac mac;
        try {
            mac = keyedHmac != null ? (Mac) keyedHmac.clone() : newHmac();
        } catch (CloneNotSupportedException e) {
            mac = newHmac(); // checked in the constructor: not reached
        }
        return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    }

    private Mac newHmac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static void writeMarker(ByteArrayOutputStream out, ByteOrder order, boolean explicit) {
        writeElement(out, order, explicit, PATIENT_IDENTITY_REMOVED, "CS", "YES");
        writeElement(out, order, explicit, 0x00120063, "LO", METHOD);
    }

    private static void writeElement(
            ByteArrayOutputStream out,
            ByteOrder order,
            boolean explicit,
            int tag,
            String vr,
            String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length % 2 == 1) {
            // Even length: UIDs pad with NUL, text with a space (PS3.5 6.2).
            bytes = Arrays.copyOf(bytes, bytes.length + 1);
            bytes[bytes.length - 1] = (byte) ("UI".equals(vr) ? 0 : ' ');
        }
        writeElement(out, order, explicit, tag, vr, bytes);
    }

    private static void writeElement(
            ByteArrayOutputStream out,
            ByteOrder order,
            boolean explicit,
            int tag,
            String vr,
            byte[] value) {
        ByteBuffer header = ByteBuffer.allocate(12).order(order);
        header.putShort((short) (tag >>> 16)).putShort((short) tag);
        if (!explicit) {
            header.putInt(value.length);
        } else if (vr == null || !DicomHeader.LONG_VRS.contains(vr)) {
            header.put(vr == null ? new byte[] {'U', 'N'} : vr.getBytes(StandardCharsets.US_ASCII));
            header.putShort((short) value.length);
        } else {
            header.put(vr.getBytes(StandardCharsets.US_ASCII)).putShort((short) 0);
            header.putInt(value.length);
        }
        out.write(header.array(), 0, header.position());
        out.writeBytes(value);
    }
}
