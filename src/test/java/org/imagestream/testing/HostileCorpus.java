package org.imagestream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.imagestream.model.Domain;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SampleImages;

/**
 * The decoder suite's hostile corpus, shared by the decoder unit test and the job's flood drill and
 * benchmark: real seed files (every reference photo format, GDAL GeoTIFFs, pydicom DICOMs incl.
 * multi-frame, big endian and deflated), their truncations and random corruptions, and
 * decompression bombs whose headers declare huge rasters in a few KB.
 */
public final class HostileCorpus {
    private HostileCorpus() {}

    /** One input: a name that says what it is, its domain and bytes. */
    public record Sample(String name, Domain domain, byte[] bytes) {}

    /** The real files every variant is derived from, by name. */
    public static Map<String, Sample> seeds() {
        Map<String, Sample> seeds = new LinkedHashMap<>();
        for (String file :
                List.of(
                        "rgb8.png",
                        "gray16.png",
                        "palette.png",
                        "alpha.png",
                        "first-frame.gif",
                        "rgb.bmp",
                        "lossless.webp",
                        "lossy.webp",
                        "baseline.jpg",
                        "progressive.jpg",
                        "cmyk.jpg",
                        "orientation-6.jpg")) {
            seeds.put(file, new Sample(file, Domain.SOCIAL, resource(file)));
        }
        Random random = new Random(4);
        seeds.put(
                "geotiff",
                new Sample(
                        "geotiff",
                        Domain.REMOTE_SENSING,
                        SampleImages.generate(Domain.REMOTE_SENSING, 0, random).bytes()));
        seeds.put(
                "planar.tif",
                new Sample(
                        "planar.tif",
                        Domain.REMOTE_SENSING,
                        resource("/geotiff/rgbn-4band-uint16-striped-deflate-planar.tif")));
        seeds.put(
                "tiled-lzw.tif",
                new Sample(
                        "tiled-lzw.tif",
                        Domain.REMOTE_SENSING,
                        resource("/geotiff/s2-13band-uint16-tiled-lzw.tif")));
        seeds.put(
                "cog-bigtiff.tif",
                new Sample(
                        "cog-bigtiff.tif",
                        Domain.REMOTE_SENSING,
                        resource("/geotiff/cog-bigtiff-3band-byte.tif")));
        for (String dicom :
                List.of(
                        "rtdose.dcm",
                        "MR_small_bigendian.dcm",
                        "image_dfl.dcm",
                        "MR_small_jpeg_sv1.dcm",
                        "MR_two_frames_jpeg_fragments.dcm",
                        "MR_two_frames_jpeg_extended_fragments.dcm",
                        "MR_two_frames_jpeg_ls_fragments.dcm",
                        "rtdose_rle_dcmtk.dcm",
                        "MR_small_jp2klossless.dcm")) {
            seeds.put(dicom, new Sample(dicom, Domain.MEDICAL, resource("/dicom/" + dicom)));
        }
        seeds.put(
                "dicom",
                new Sample(
                        "dicom",
                        Domain.MEDICAL,
                        SampleImages.generate(Domain.MEDICAL, 1, random).bytes()));
        return seeds;
    }

    /** Truncations at several points, random corruptions of 1 to 64 bytes, and noise. */
    public static List<byte[]> variants(byte[] original, Random random) {
        List<byte[]> variants = new ArrayList<>();
        for (double fraction : new double[] {0.0, 0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
            int length = Math.max(1, (int) (original.length * fraction));
            variants.add(Arrays.copyOf(original, length));
        }
        for (int i = 0; i < 10; i++) {
            byte[] corrupted = original.clone();
            int flips = 1 << random.nextInt(7);
            for (int f = 0; f < flips; f++) {
                // Headers are where parsers break: half the flips land in the first 64 bytes.
                int at =
                        random.nextBoolean()
                                ? random.nextInt(Math.min(64, corrupted.length))
                                : random.nextInt(corrupted.length);
                corrupted[at] = (byte) random.nextInt(256);
            }
            variants.add(corrupted);
        }
        byte[] noise = new byte[original.length];
        random.nextBytes(noise);
        variants.add(noise);
        return variants;
    }

    /** Every variant of every seed, named {@code <seed> variant <n>}. */
    public static List<Sample> variants(Random random) {
        List<Sample> all = new ArrayList<>();
        for (Sample seed : seeds().values()) {
            int n = 0;
            for (byte[] variant : variants(seed.bytes(), random)) {
                all.add(new Sample(seed.name() + " variant " + n++, seed.domain(), variant));
            }
        }
        return all;
    }

    /**
     * Decompression bombs: a PNG of 100,000 x 100,000, a JPEG of 60,000 x 60,000, a GIF of 65,000 x
     * 65,000 and a 13-band 16-bit GeoTIFF of 40,000 x 40,000 (~41 GB decoded), each a few KB.
     */
    public static List<Sample> bombs() {
        byte[] gif = resource("first-frame.gif");
        byte[] gifBomb = Arrays.copyOf(gif, gif.length);
        ByteBuffer.wrap(gifBomb, 6, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 65_000)
                .putShort((short) 65_000);
        // GIF's first image descriptor holds the frame size the reader reports.
        int descriptor = firstGifImageDescriptor(gifBomb);
        ByteBuffer.wrap(gifBomb, descriptor + 5, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 65_000)
                .putShort((short) 65_000);
        return List.of(
                new Sample(
                        "png bomb",
                        Domain.SOCIAL,
                        pngWithSize(resource("rgb8.png"), 100_000, 100_000)),
                new Sample(
                        "jpeg bomb",
                        Domain.SOCIAL,
                        jpegWithSize(resource("baseline.jpg"), 60_000, 60_000)),
                new Sample("gif bomb", Domain.SOCIAL, gifBomb),
                new Sample(
                        "geotiff bomb",
                        Domain.REMOTE_SENSING,
                        tiffWithSize(
                                GeoTiffWriter.write(
                                        new short[16 * 16 * 13], 16, 16, 13, 0, 0, 10, 32633),
                                40_000,
                                40_000)));
    }

    /** IHDR width and height replaced (CRC recomputed so the file stays well-formed). */
    public static byte[] pngWithSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer.wrap(out, 16, 8).putInt(width).putInt(height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 17); // "IHDR" + 13 data bytes
        ByteBuffer.wrap(out, 29, 4).putInt((int) crc.getValue());
        return out;
    }

    /** The SOF0 frame's height and width replaced. */
    public static byte[] jpegWithSize(byte[] jpeg, int width, int height) {
        byte[] out = jpeg.clone();
        for (int i = 2; i + 9 < out.length; i++) {
            if ((out[i] & 0xFF) == 0xFF
                    && ((out[i + 1] & 0xFF) == 0xC0 || (out[i + 1] & 0xFF) == 0xC2)) {
                ByteBuffer.wrap(out, i + 5, 4).putShort((short) height).putShort((short) width);
                return out;
            }
        }
        throw new IllegalArgumentException("no SOF marker");
    }

    /** ImageWidth (256) and ImageLength (257) of the first IFD replaced (LONG or SHORT values). */
    public static byte[] tiffWithSize(byte[] tiff, int width, int height) {
        byte[] out = tiff.clone();
        ByteOrder order = out[0] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer buffer = ByteBuffer.wrap(out).order(order);
        int ifd = buffer.getInt(4);
        int entries = Short.toUnsignedInt(buffer.getShort(ifd));
        for (int e = 0; e < entries; e++) {
            int entry = ifd + 2 + e * 12;
            int tag = Short.toUnsignedInt(buffer.getShort(entry));
            int type = Short.toUnsignedInt(buffer.getShort(entry + 2));
            if (tag == 256 || tag == 257) {
                int value = tag == 256 ? width : height;
                if (type == 3) {
                    buffer.putShort(entry + 2, (short) 4); // widen SHORT to LONG
                }
                buffer.putInt(entry + 8, value);
            }
        }
        return out;
    }

    /** Offset of the first image descriptor: after the colour table and any extension blocks. */
    private static int firstGifImageDescriptor(byte[] gif) {
        int packed = gif[10] & 0xFF;
        int at = 13 + ((packed & 0x80) != 0 ? 3 * (1 << ((packed & 7) + 1)) : 0);
        while ((gif[at] & 0xFF) == 0x21) { // extension: label, then sub-blocks up to a 0
            at += 2;
            while ((gif[at] & 0xFF) != 0) {
                at += (gif[at] & 0xFF) + 1;
            }
            at++;
        }
        if ((gif[at] & 0xFF) != 0x2C) {
            throw new IllegalArgumentException("no image descriptor at " + at);
        }
        return at;
    }

    /** A test resource: a bare name is one of the reference photos under {@code /images}. */
    public static byte[] resource(String name) {
        String path = name.startsWith("/") ? name : "/images/" + name;
        try (InputStream in = HostileCorpus.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
