package org.imagestream.decode;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.imagestream.decode.DecodeException.Reason;

/**
 * De-identifies a DICOM Part 10 file before the job stores it, after DICOM PS3.15 Annex E's Basic
 * Application Level Confidentiality Profile, for the attributes listed below (a subset of the
 * profile's table, covering the patient, study, physician, institution and device identifiers and
 * dates in CT/MR/RT headers), plus three blanket rules: every private (odd-group) element and every
 * top-level sequence is removed, and in explicit VR every other person name (PN) and date/time (DA,
 * DT, TM) is removed.
 *
 * <ul>
 *   <li>Z (kept, emptied; type 2): Patient's Name, Patient ID, Birth Date, Sex, Accession Number,
 *       Referring Physician's Name, Study ID, Study Date and Time.
 *   <li>U (UIDs): Study, Series, SOP Instance, Frame of Reference, Synchronization Frame of
 *       Reference and Instance Creator UIDs, and the file meta's Media Storage SOP Instance UID,
 *       are replaced by {@code 2.25.<decimal>} from a keyed hash (HMAC-SHA-256), so one study's
 *       files stay linkable and the same file always de-identifies to the same bytes.
 *   <li>Patient Identity Removed (0012,0062) = {@code YES} and De-identification Method (0012,0063)
 *       are added.
 * </ul>
 *
 * The pixels and everything needed to display them (geometry, modality LUT, VOI window, modality,
 * body part) are kept. A deflated file comes out as explicit VR little endian.
 */
public final class DicomDeidentifier {
    static final String METHOD = "imagestream: PS3.15 E basic profile subset";

    /** Zero-length replacement (type 2 attributes). */
    private static final Set<Integer> EMPTY =
            Set.of(
                    0x00100010,
                    0x00100020,
                    0x00100030,
                    0x00100040,
                    0x00080050,
                    0x00080090,
                    0x00200010,
                    0x00080020,
                    0x00080030);

    /** Removed. */
    private static final Set<Integer> REMOVE =
            Set.of(
                    0x00100032,
                    0x00101000,
                    0x00101001,
                    0x00101010,
                    0x00101020,
                    0x00101030,
                    0x00101040,
                    0x00102154,
                    0x00102160,
                    0x00102180,
                    0x001021B0,
                    0x00104000,
                    0x00101090,
                    0x00080080,
                    0x00080081,
                    0x00081010,
                    0x00081040,
                    0x00081048,
                    0x00081050,
                    0x00081060,
                    0x00081070,
                    0x00081030,
                    0x0008103E,
                    0x00080021,
                    0x00080022,
                    0x00080023,
                    0x00080031,
                    0x00080032,
                    0x00080033,
                    0x0008002A,
                    0x00080012,
                    0x00080013,
                    0x00181000,
                    0x00181030,
                    0x00204000,
                    0x00321032,
                    0x00400244,
                    0x00400245,
                    0x00400253,
                    0x00400254,
                    0x00080201,
                    0x00120062,
                    0x00120063);

    /** Replaced by a keyed-hash UID. */
    private static final Set<Integer> UIDS =
            Set.of(0x0020000D, 0x0020000E, 0x00080018, 0x00200052, 0x00200200, 0x00080014);

    /** Explicit VRs removed wherever they appear (unless listed above). */
    private static final Set<String> REMOVED_VRS = Set.of("PN", "DA", "DT", "TM");

    private static final int MEDIA_STORAGE_SOP_INSTANCE_UID = 0x00020003;
    private static final int PATIENT_IDENTITY_REMOVED = 0x00120062;

    private final byte[] key;
    private final DecodeLimits limits;

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
        this.key = uidKey.length == 0 ? new byte[] {0} : uidKey.clone();
        this.limits = limits;
    }

    /** The de-identified file; refuses what cannot be parsed (the caller dead-letters it). */
    public byte[] deidentify(byte[] part10) throws DecodeException {
        if (!ImageDecoders.isDicomPart10(part10)) {
            throw new DecodeException(
                    Reason.UNSUPPORTED_FORMAT, "not a DICOM Part 10 file (no DICM prefix)");
        }
        DicomFileMeta.Readable readable = DicomFileMeta.open(part10, limits);
        byte[] file = readable.bytes();
        String syntax = readable.transferSyntax();
        ByteOrder order =
                syntax.equals(DicomFileMeta.EXPLICIT_BE)
                        ? ByteOrder.BIG_ENDIAN
                        : ByteOrder.LITTLE_ENDIAN;
        boolean explicit = !syntax.equals(DicomFileMeta.IMPLICIT_LE);

        ByteArrayOutputStream dataset = new ByteArrayOutputStream(file.length);
        boolean[] markerWritten = {false};
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
                    int group = tag >>> 16;
                    boolean remove =
                            (group & 1) == 1
                                    || (tag & 0xFFFF) == 0 // group lengths (retired)
                                    || sequence
                                    || REMOVE.contains(tag)
                                    || (vr != null
                                            && REMOVED_VRS.contains(vr)
                                            && !EMPTY.contains(tag));
                    if (EMPTY.contains(tag)) {
                        writeElement(dataset, order, explicit, tag, vr, new byte[0]);
                    } else if (UIDS.contains(tag)) {
                        writeElement(
                                dataset,
                                order,
                                explicit,
                                tag,
                                "UI",
                                pseudonym(text(file, valueAt, end)));
                    } else if (!remove) {
                        dataset.write(file, start, end - start);
                    }
                });
        if (!markerWritten[0]) {
            writeMarker(dataset, order, explicit);
        }
        if (readable.bytes() != part10) {
            // Deflated: stored deflated again (the meta group of the original names the deflated
            // syntax), so a record does not grow to its inflated size on its way to storage.
            return concat(
                    meta(part10, readable.datasetOffset(), readable.transferSyntax()),
                    deflate(dataset));
        }
        return concat(meta(file, readable.datasetOffset(), readable.transferSyntax()), dataset);
    }

    /** Raw deflate (no zlib wrapper, PS3.5 A.5) of a dataset. */
    private static ByteArrayOutputStream deflate(ByteArrayOutputStream dataset) {
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(6, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream(dataset.size() / 2 + 64);
        try {
            deflater.setInput(dataset.toByteArray());
            deflater.finish();
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
        } finally {
            deflater.end();
        }
        return out;
    }

    /** The file meta group with its SOP instance UID replaced and its group length recomputed. */
    private byte[] meta(byte[] file, int datasetOffset, String syntax) throws DecodeException {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream elements = new ByteArrayOutputStream();
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
            if (tag == MEDIA_STORAGE_SOP_INSTANCE_UID) {
                writeElement(
                        elements,
                        ByteOrder.LITTLE_ENDIAN,
                        true,
                        tag,
                        "UI",
                        pseudonym(text(file, valueAt, end)));
            } else if (tag != 0x00020000) {
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
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String text(byte[] file, int from, int to) {
        return new String(file, from, to - from, StandardCharsets.US_ASCII)
                .replace("\0", "")
                .trim();
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

    private static byte[] concat(byte[] meta, ByteArrayOutputStream dataset) {
        byte[] out = Arrays.copyOf(meta, meta.length + dataset.size());
        System.arraycopy(dataset.toByteArray(), 0, out, meta.length, dataset.size());
        return out;
    }
}
