package org.imagestream.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;

/**
 * Generates labelled, structured (not noise) images for the three domains, so models can be trained
 * and demos run without any download. The same generators feed training and the sample files the
 * demo publishes, so what the models learn is what the demo sends.
 *
 * <ul>
 *   <li>Social: a shape (circle, square, triangle, stripes) in a random colour, place and size on a
 *       random background.
 *   <li>Remote sensing: 13-band Sentinel-2-like reflectance patches whose spectra follow a
 *       land-cover class (water, forest, crop, urban, bare-soil, cloud), with class-specific
 *       texture.
 *   <li>Medical: 16-bit CT-like slices (Hounsfield units) of a body ellipse, with or without a
 *       small bright lesion.
 * </ul>
 */
public final class SyntheticScenes {
    public static final List<String> SOCIAL_LABELS =
            List.of("circle", "square", "triangle", "stripes");
    public static final List<String> REMOTE_SENSING_LABELS =
            List.of("water", "forest", "crop", "urban", "bare-soil", "cloud");
    public static final List<String> MEDICAL_LABELS = List.of("normal", "lesion");

    /** Sentinel-2 band count (B1..B12 with B8A). */
    public static final int SENTINEL2_BANDS = 13;

    /** Stored CT values are HU + 1024 (rescale intercept -1024, slope 1). */
    public static final int CT_RESCALE_INTERCEPT = -1024;

    // Mean surface reflectance per band (B1,B2,B3,B4,B5,B6,B7,B8,B8A,B9,B10,B11,B12) per class.
    // Shapes follow textbook spectra: water dark and falling into the infrared, vegetation with
    // the red edge and NIR plateau, soil rising steadily, cloud bright and flat.
    private static final double[][] SPECTRA = {
        {0.07, 0.06, 0.05, 0.03, 0.02, 0.015, 0.012, 0.01, 0.01, 0.005, 0.001, 0.005, 0.003},
        {0.03, 0.03, 0.05, 0.03, 0.08, 0.25, 0.32, 0.35, 0.36, 0.12, 0.002, 0.16, 0.08},
        {0.04, 0.05, 0.08, 0.06, 0.13, 0.30, 0.38, 0.42, 0.43, 0.14, 0.003, 0.24, 0.14},
        {0.10, 0.11, 0.12, 0.13, 0.15, 0.16, 0.17, 0.18, 0.18, 0.08, 0.004, 0.22, 0.20},
        {0.12, 0.14, 0.18, 0.24, 0.27, 0.29, 0.31, 0.32, 0.33, 0.12, 0.005, 0.40, 0.36},
        {0.55, 0.56, 0.58, 0.60, 0.61, 0.62, 0.63, 0.64, 0.64, 0.30, 0.06, 0.45, 0.35},
    };

    private SyntheticScenes() {}

    /** Renders a social photo of class {@code label} (index into {@link #SOCIAL_LABELS}). */
    public static BufferedImage socialImage(int label, int size, Random random) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            Color background = randomColor(random);
            Color foreground = contrastingColor(background, random);
            g.setColor(background);
            g.fillRect(0, 0, size, size);
            double extent = size * (0.45 + 0.35 * random.nextDouble());
            double cx = size / 2.0 + (random.nextDouble() - 0.5) * (size - extent) * 0.8;
            double cy = size / 2.0 + (random.nextDouble() - 0.5) * (size - extent) * 0.8;
            int x0 = (int) Math.round(cx - extent / 2);
            int y0 = (int) Math.round(cy - extent / 2);
            int e = (int) Math.round(extent);
            g.setColor(foreground);
            switch (label) {
                case 0 -> g.fillOval(x0, y0, e, e);
                case 1 -> g.fillRect(x0, y0, e, e);
                case 2 -> {
                    Polygon triangle = new Polygon();
                    triangle.addPoint(x0 + e / 2, y0);
                    triangle.addPoint(x0, y0 + e);
                    triangle.addPoint(x0 + e, y0 + e);
                    g.fillPolygon(triangle);
                }
                case 3 -> {
                    float stripe = Math.max(1f, size / (6f + random.nextInt(4)));
                    g.setStroke(new BasicStroke(stripe / 2));
                    boolean vertical = random.nextBoolean();
                    for (float p = stripe / 2; p < size; p += stripe) {
                        int q = Math.round(p);
                        if (vertical) {
                            g.drawLine(q, 0, q, size);
                        } else {
                            g.drawLine(0, q, size, q);
                        }
                    }
                }
                default -> throw new IllegalArgumentException("social label index " + label);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * A 13-band reflectance patch of land-cover class {@code label}, pixel-interleaved, as unsigned
     * 16-bit digital numbers (reflectance x 10000, the Sentinel-2 L2A convention).
     */
    public static short[] remoteSensingPatch(int label, int size, Random random) {
        double[] spectrum = SPECTRA[label];
        int bands = SENTINEL2_BANDS;
        short[] out = new short[size * size * bands];
        double brightness = 0.8 + 0.4 * random.nextDouble();
        double phase = random.nextDouble() * Math.PI * 2;
        double period = 3 + random.nextInt(4);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double texture =
                        switch (label) {
                            case 0 -> 1 + 0.05 * Math.sin(x * 0.3 + phase); // calm water ripples
                            case 1 -> 0.85 + 0.3 * random.nextDouble(); // canopy speckle
                            case 2 -> 1 + 0.25 * Math.sin((x + y) * 2 * Math.PI / period + phase);
                            case 3 -> (((x / 4) + (y / 4)) % 2 == 0) ? 1.3 : 0.7; // blocks
                            case 4 -> 0.95 + 0.1 * random.nextDouble();
                            default -> 0.9 + 0.2 * Math.sin(x * 0.15 + y * 0.1 + phase);
                        };
                for (int b = 0; b < bands; b++) {
                    double reflectance =
                            spectrum[b] * brightness * texture + 0.004 * random.nextGaussian();
                    int dn = (int) Math.round(Math.max(0, Math.min(1, reflectance)) * 10000);
                    out[(y * size + x) * bands + b] = (short) dn;
                }
            }
        }
        return out;
    }

    /**
     * A CT-like slice as stored values (HU - {@link #CT_RESCALE_INTERCEPT}), unsigned 12-bit in 16:
     * air around a soft-tissue body ellipse with organs; class 1 adds a small dense lesion.
     */
    public static short[] medicalSlice(int label, int size, Random random) {
        short[] out = new short[size * size];
        double cx = size / 2.0 + (random.nextDouble() - 0.5) * size * 0.1;
        double cy = size / 2.0 + (random.nextDouble() - 0.5) * size * 0.1;
        double rx = size * (0.38 + 0.06 * random.nextDouble());
        double ry = size * (0.30 + 0.06 * random.nextDouble());
        double organX = cx + (random.nextDouble() - 0.5) * rx * 0.6;
        double organY = cy + (random.nextDouble() - 0.5) * ry * 0.6;
        double organR = size * (0.08 + 0.05 * random.nextDouble());
        double lesionAngle = random.nextDouble() * Math.PI * 2;
        double lesionDistance = 0.55 * random.nextDouble();
        double lesionX = cx + Math.cos(lesionAngle) * rx * lesionDistance;
        double lesionY = cy + Math.sin(lesionAngle) * ry * lesionDistance;
        double lesionR = size * (0.06 + 0.04 * random.nextDouble());
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = (x - cx) / rx;
                double dy = (y - cy) / ry;
                double hu;
                if (dx * dx + dy * dy > 1) {
                    hu = -1000;
                } else {
                    hu = 40 + 15 * random.nextGaussian();
                    if (Math.hypot(x - organX, y - organY) < organR) {
                        hu -= 60; // a fatty organ, darker than tissue
                    }
                    if (label == 1 && Math.hypot(x - lesionX, y - lesionY) < lesionR) {
                        hu += 160; // an enhancing lesion
                    }
                }
                int stored = (int) Math.round(hu) - CT_RESCALE_INTERCEPT;
                out[y * size + x] = (short) Math.max(0, Math.min(4095, stored));
            }
        }
        return out;
    }

    private static Color randomColor(Random random) {
        return Color.getHSBColor(
                random.nextFloat(),
                0.3f + 0.7f * random.nextFloat(),
                0.2f + 0.8f * random.nextFloat());
    }

    private static Color contrastingColor(Color background, Random random) {
        float[] hsb =
                Color.RGBtoHSB(
                        background.getRed(), background.getGreen(), background.getBlue(), null);
        float brightness =
                hsb[2] > 0.55f
                        ? 0.1f + 0.3f * random.nextFloat()
                        : 0.7f + 0.3f * random.nextFloat();
        return Color.getHSBColor(random.nextFloat(), 0.3f + 0.7f * random.nextFloat(), brightness);
    }

    /**
     * A photo-sized social scene: {@link #socialImage} drawn at {@code width x height} with uniform
     * per-pixel noise of +-{@code amplitude} levels, like a sensor's, which gives its JPEG a real
     * photo's size (about 300 KB at 2048x1536 with amplitude 4).
     */
    public static java.awt.image.BufferedImage noisyPhoto(
            int label, int width, int height, int amplitude, Random random) {
        java.awt.image.BufferedImage scene = socialImage(label, 480, random);
        java.awt.image.BufferedImage photo =
                new java.awt.image.BufferedImage(
                        width, height, java.awt.image.BufferedImage.TYPE_INT_RGB);
        photo.createGraphics().drawImage(scene, 0, 0, width, height, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int noise = random.nextInt(2 * amplitude + 1) - amplitude;
                int rgb = photo.getRGB(x, y);
                int r = Math.max(0, Math.min(255, ((rgb >> 16) & 0xFF) + noise));
                int g = Math.max(0, Math.min(255, ((rgb >> 8) & 0xFF) + noise));
                int b = Math.max(0, Math.min(255, (rgb & 0xFF) + noise));
                photo.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return photo;
    }
}
