package org.imagestream.samples;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Writes a minimal DICOM Part 10 CT image (explicit VR little endian, 16-bit allocated, 12 bits
 * stored, MONOCHROME2) with rescale slope/intercept and a VOI window. It carries no patient
 * identifiers. Used to make sample files for the demo and the tests.
 */
public final class DicomWriter {
    private static final String CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
    private static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";

    private DicomWriter() {}

    /**
     * @param stored stored pixel values, row-major, {@code rows x columns}
     */
    public static byte[] writeCt(
            short[] stored,
            int rows,
            int columns,
            double windowCenter,
            double windowWidth,
            double rescaleIntercept,
            double rescaleSlope) {
        String instanceUid = uidFromUuid(UUID.nameUUIDFromBytes(shortsToBytes(stored)));
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        element(meta, 0x0002, 0x0001, "OB", new byte[] {0, 1});
        element(meta, 0x0002, 0x0002, "UI", ui(CT_IMAGE_STORAGE));
        element(meta, 0x0002, 0x0003, "UI", ui(instanceUid));
        element(meta, 0x0002, 0x0010, "UI", ui(EXPLICIT_VR_LITTLE_ENDIAN));
        element(meta, 0x0002, 0x0012, "UI", ui("2.25.1"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[128]);
        out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        element(out, 0x0002, 0x0000, "UL", le32(meta.size()));
        out.writeBytes(meta.toByteArray());
        element(out, 0x0008, 0x0016, "UI", ui(CT_IMAGE_STORAGE));
        element(out, 0x0008, 0x0018, "UI", ui(instanceUid));
        element(out, 0x0008, 0x0060, "CS", text("CT"));
        element(out, 0x0028, 0x0002, "US", le16(1));
        element(out, 0x0028, 0x0004, "CS", text("MONOCHROME2"));
        element(out, 0x0028, 0x0010, "US", le16(rows));
        element(out, 0x0028, 0x0011, "US", le16(columns));
        element(out, 0x0028, 0x0100, "US", le16(16));
        element(out, 0x0028, 0x0101, "US", le16(12));
        element(out, 0x0028, 0x0102, "US", le16(11));
        element(out, 0x0028, 0x0103, "US", le16(0));
        element(out, 0x0028, 0x1050, "DS", text(decimal(windowCenter)));
        element(out, 0x0028, 0x1051, "DS", text(decimal(windowWidth)));
        element(out, 0x0028, 0x1052, "DS", text(decimal(rescaleIntercept)));
        element(out, 0x0028, 0x1053, "DS", text(decimal(rescaleSlope)));
        element(out, 0x7FE0, 0x0010, "OW", shortsToBytes(stored));
        return out.toByteArray();
    }

    private static void element(
            ByteArrayOutputStream out, int group, int element, String vr, byte[] value) {
        out.writeBytes(le16(group));
        out.writeBytes(le16(element));
        out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")
                || vr.equals("OW")
                || vr.equals("SQ")
                || vr.equals("UN")
                || vr.equals("UT")) {
            out.writeBytes(new byte[2]);
            out.writeBytes(le32(value.length));
        } else {
            out.writeBytes(le16(value.length));
        }
        out.writeBytes(value);
    }

    private static String decimal(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /** UIDs are padded with NUL to an even length (PS3.5 9.1). */
    private static byte[] ui(String uid) {
        return pad(uid, (byte) 0);
    }

    /** Text values are padded with a space to an even length. */
    private static byte[] text(String value) {
        return pad(value, (byte) ' ');
    }

    private static byte[] pad(String value, byte padding) {
        byte[] raw = value.getBytes(StandardCharsets.US_ASCII);
        if (raw.length % 2 == 0) {
            return raw;
        }
        byte[] padded = java.util.Arrays.copyOf(raw, raw.length + 1);
        padded[raw.length] = padding;
        return padded;
    }

    private static byte[] le16(int value) {
        return new byte[] {(byte) value, (byte) (value >> 8)};
    }

    private static byte[] le32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    private static byte[] shortsToBytes(short[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            buffer.putShort(v);
        }
        return buffer.array();
    }

    /** A UUID-derived UID under the 2.25 root (PS3.5 B.2): no registered org root needed. */
    private static String uidFromUuid(UUID uuid) {
        java.math.BigInteger value =
                new java.math.BigInteger(
                        1,
                        ByteBuffer.allocate(16)
                                .putLong(uuid.getMostSignificantBits())
                                .putLong(uuid.getLeastSignificantBits())
                                .array());
        return "2.25." + value;
    }
}
