package org.imagestream.decode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The identifying values of a real DICOM file, for the privacy tests to search for. */
public final class DicomIdentifiers {
    private DicomIdentifiers() {}

    /**
     * Values of the original the profile must not keep: patient, physician, institution and device
     * identifiers, dates and times, UIDs (top level; sequences go as a whole). Values shorter than
     * 4 characters (sex, "1") would match by chance and are left out.
     */
    public static List<String> of(byte[] file) throws Exception {
        DicomFileMeta.Readable readable = DicomFileMeta.open(file, DecodeLimits.DEFAULT);
        byte[] bytes = readable.bytes();
        List<String> values = new ArrayList<>();
        StringBuilder kept = new StringBuilder();
        List<Integer> tags =
                List.of(
                        0x00100010,
                        0x00100020,
                        0x00100030,
                        0x00080050,
                        0x00080090,
                        0x00200010,
                        0x00080020,
                        0x00080030,
                        0x00080080,
                        0x00080081,
                        0x00081010,
                        0x00081050,
                        0x00081070,
                        0x00080021,
                        0x00080022,
                        0x00080023,
                        0x00080031,
                        0x00080032,
                        0x00080033,
                        0x00080012,
                        0x00080013,
                        0x00181000,
                        0x0020000D,
                        0x0020000E,
                        0x00080018,
                        0x00200052,
                        0x00080014);
        DicomHeader.walk(
                bytes,
                readable.datasetOffset(),
                readable.transferSyntax(),
                (tag, vr, start, valueAt, end, sequence) -> {
                    if (sequence || tag == 0x7FE00010) {
                        return;
                    }
                    String value =
                            new String(bytes, valueAt, end - valueAt, StandardCharsets.ISO_8859_1)
                                    .replace("\0", "")
                                    .trim();
                    if (!tags.contains(tag)) {
                        kept.append(value).append('\n');
                    } else if (value.length() >= 4) {
                        values.add(value);
                    }
                });
        // A station named like its manufacturer ("TOSHIBA" in "TOSHIBA_MEC") is not a leak.
        values.removeIf(value -> kept.indexOf(value) >= 0);
        // A time of 00:00:00 ("000000.000") identifies no one and matches any run of zeros.
        values.removeIf(value -> value.replaceAll("[0.: ]", "").isEmpty());
        return values;
    }
}
