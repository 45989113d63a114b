package org.imagestream.samples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.imagestream.model.Domain;

/**
 * Encoded sample files of every domain, as a producer would publish them: JPEG and PNG photos,
 * 13-band GeoTIFF tiles, DICOM CT slices. Each carries the label it was generated with, so tests
 * and the demo can check what the models say.
 */
public final class SampleImages {
    /** One encoded sample and the class it was generated from. */
    public record Sample(
            Domain domain, String label, String contentType, String fileName, byte[] bytes) {}

    private SampleImages() {}

    /**
     * {@code perDomain} samples of each domain, cycling through the labels, deterministic in {@code
     * seed}.
     */
    public static List<Sample> mixed(int perDomain, long seed) {
        List<Sample> samples = new ArrayList<>();
        Random random = new Random(seed);
        for (Domain domain : Domain.values()) {
            for (int i = 0; i < perDomain; i++) {
                samples.add(generate(domain, i, random));
            }
        }
        return samples;
    }

    public static Sample generate(Domain domain, int index, Random random) {
        switch (domain) {
            case SOCIAL:
                {
                    int label = index % SyntheticScenes.SOCIAL_LABELS.size();
                    String name = SyntheticScenes.SOCIAL_LABELS.get(label);
                    boolean jpeg = index % 2 == 0;
                    byte[] bytes =
                            encode(
                                    SyntheticScenes.socialImage(label, 128, random),
                                    jpeg ? "jpg" : "png");
                    return new Sample(
                            domain,
                            name,
                            jpeg ? "image/jpeg" : "image/png",
                            String.format("social-%03d-%s.%s", index, name, jpeg ? "jpg" : "png"),
                            bytes);
                }
            case REMOTE_SENSING:
                {
                    int label = index % SyntheticScenes.REMOTE_SENSING_LABELS.size();
                    String name = SyntheticScenes.REMOTE_SENSING_LABELS.get(label);
                    int size = 64;
                    short[] patch = SyntheticScenes.remoteSensingPatch(label, size, random);
                    // 10 m pixels in UTM zone 33N, tiles laid out along a row.
                    byte[] bytes =
                            GeoTiffWriter.write(
                                    patch,
                                    size,
                                    size,
                                    SyntheticScenes.SENTINEL2_BANDS,
                                    500_000 + index * size * 10.0,
                                    5_800_000,
                                    10,
                                    32633);
                    return new Sample(
                            domain,
                            name,
                            "image/tiff",
                            String.format("remote-sensing-%03d-%s.tif", index, name),
                            bytes);
                }
            case MEDICAL:
                {
                    int label = index % SyntheticScenes.MEDICAL_LABELS.size();
                    String name = SyntheticScenes.MEDICAL_LABELS.get(label);
                    int size = 128;
                    short[] slice = SyntheticScenes.medicalSlice(label, size, random);
                    byte[] bytes =
                            DicomWriter.writeCt(
                                    slice,
                                    size,
                                    size,
                                    40,
                                    400,
                                    SyntheticScenes.CT_RESCALE_INTERCEPT,
                                    1);
                    return new Sample(
                            domain,
                            name,
                            "application/dicom",
                            String.format("medical-%03d-%s.dcm", index, name),
                            bytes);
                }
            default:
                throw new IllegalArgumentException("domain " + domain);
        }
    }

    private static byte[] encode(java.awt.image.BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IOException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
