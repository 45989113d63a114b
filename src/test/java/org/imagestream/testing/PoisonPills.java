package org.imagestream.testing;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;

/**
 * Inputs that killed a TaskManager once (issue 17): small files whose decoded or inflated size is
 * hundreds of megabytes to gigabytes. Each is written here from the format's specification (PNG,
 * TIFF 6.0, JPEG/JFIF with EXIF and ICC segments, DICOM PS3.10 deflated), with no code of the
 * project, so they test its decoders rather than mirror them; nothing large is kept in git.
 */
public final class PoisonPills {
    private static final int MIB = 1024 * 1024;

    private PoisonPills() {}

    /**
     * A 1x1 grey PNG followed, after its IDAT, by a text chunk whose zlib stream inflates to {@code
     * inflatedBytes} zeros: {@code zTXt}, or a compressed {@code iTXt} when {@code itxt}.
     */
    public static byte[] pngTextBomb(long inflatedBytes, boolean itxt) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ihdr(1, 1, 8, 0));
        chunk(png, "IDAT", zlib(new byte[] {0, (byte) 0x80}));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        text.writeBytes("Comment".getBytes(StandardCharsets.ISO_8859_1));
        text.write(0);
        if (itxt) {
            text.write(1); // compressed
            text.write(0); // zlib
            text.write(0); // empty language tag
            text.write(0); // empty translated keyword
        } else {
            text.write(0); // zlib
        }
        text.writeBytes(zlibZeros(inflatedBytes));
        chunk(png, itxt ? "iTXt" : "zTXt", text.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /** A {@code size x size} 16-bit grey + alpha PNG (colour type 4), all samples zero. */
    public static byte[] png16BitGrayAlpha(int size) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ihdr(size, size, 16, 4));
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[1 + size * 4]; // filter type 0, then 2 samples x 2 bytes
        try (OutputStream out = new DeflaterOutputStream(idat, new Deflater(1), 64 * 1024)) {
            for (int y = 0; y < size; y++) {
                out.write(row);
            }
        }
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /**
     * A {@code width x height} baseline JPEG (written by the JDK's encoder) with an APP1 EXIF
     * segment declaring {@code orientation} and an APP2 ICC_PROFILE segment holding the JDK's sRGB
     * profile, both inserted after the JFIF APP0 segment.
     */
    public static byte[] jpegWithIccAndOrientation(int width, int height, int orientation)
            throws IOException {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        ImageIO.write(image, "jpeg", encoded);
        image = null;
        byte[] jpeg = encoded.toByteArray();
        int app0Length = ((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF);
        int insertAt = 4 + app0Length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + 8192);
        out.write(jpeg, 0, insertAt);
        // EXIF: "Exif\0\0", a big-endian TIFF header and IFD0 with one entry, Orientation (0x0112).
        ByteBuffer exif = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4).order(ByteOrder.BIG_ENDIAN);
        exif.put("Exif".getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) 0);
        exif.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        exif.putShort((short) 1);
        exif.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        exif.putShort((short) orientation).putShort((short) 0);
        exif.putInt(0);
        segment(out, 0xE1, exif.array());
        byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
        ByteArrayOutputStream app2 = new ByteArrayOutputStream();
        app2.writeBytes("ICC_PROFILE".getBytes(StandardCharsets.US_ASCII));
        app2.write(0);
        app2.write(1); // chunk 1
        app2.write(1); // of 1
        app2.writeBytes(icc);
        segment(out, 0xE2, app2.toByteArray());
        out.write(jpeg, insertAt, jpeg.length - insertAt);
        return out.toByteArray();
    }

    /**
     * A {@code size x size} tiled, Deflate-compressed (Compression 8) little-endian TIFF of {@code
     * bands} unsigned 16-bit samples per pixel, all zero. Every TileOffsets entry points at the
     * same compressed tile, so the file stays small while the reader still inflates every tile.
     */
    public static byte[] tiledDeflateTiff(int size, int bands, int tile) throws IOException {
        int across = (size + tile - 1) / tile;
        int tiles = across * across;
        byte[] compressedTile = zlibZeros((long) tile * tile * bands * 2);
        short[][] shortTags = {
            {259, 8}, // Compression: Adobe Deflate
            {262, 1}, // Photometric: BlackIsZero
            {277, (short) bands}, // SamplesPerPixel
            {284, 1}, // PlanarConfiguration: chunky
        };
        int entries =
                2 + shortTags.length + 2 + 2 + 3; // + width/height, tile size, offsets/counts,
        // BitsPerSample, ExtraSamples, SampleFormat
        int ifdAt = 8;
        int ifdSize = 2 + entries * 12 + 4;
        int bitsAt = ifdAt + ifdSize;
        int extraAt = bitsAt + bands * 2;
        int formatAt = extraAt + (bands - 1) * 2;
        int offsetsAt = formatAt + bands * 2;
        int countsAt = offsetsAt + tiles * 4;
        int tileAt = countsAt + tiles * 4;
        ByteBuffer tiff =
                ByteBuffer.allocate(tileAt + compressedTile.length).order(ByteOrder.LITTLE_ENDIAN);
        tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifdAt);
        tiff.putShort((short) entries);
        ifdEntry(tiff, 256, 4, 1, size); // ImageWidth
        ifdEntry(tiff, 257, 4, 1, size); // ImageLength
        ifdEntry(tiff, 258, 3, bands, bitsAt); // BitsPerSample
        for (short[] tag : shortTags) {
            ifdEntry(tiff, tag[0], 3, 1, tag[1] & 0xFFFF);
        }
        ifdEntry(tiff, 322, 4, 1, tile); // TileWidth
        ifdEntry(tiff, 323, 4, 1, tile); // TileLength
        // One LONG fits the entry itself (TIFF 6.0, section 2): then the value, not an offset.
        ifdEntry(tiff, 324, 4, tiles, tiles == 1 ? tileAt : offsetsAt); // TileOffsets
        ifdEntry(tiff, 325, 4, tiles, tiles == 1 ? compressedTile.length : countsAt); // counts
        ifdEntry(tiff, 338, 3, bands - 1, extraAt); // ExtraSamples: unspecified
        ifdEntry(tiff, 339, 3, bands, formatAt); // SampleFormat: unsigned
        tiff.putInt(0);
        for (int i = 0; i < bands; i++) {
            tiff.putShort((short) 16);
        }
        for (int i = 0; i < bands - 1; i++) {
            tiff.putShort((short) 0);
        }
        for (int i = 0; i < bands; i++) {
            tiff.putShort((short) 1);
        }
        for (int i = 0; i < tiles; i++) {
            tiff.putInt(tileAt);
        }
        for (int i = 0; i < tiles; i++) {
            tiff.putInt(compressedTile.length);
        }
        tiff.put(compressedTile);
        return tiff.array();
    }

    /**
     * A DICOM Part 10 file in the deflated transfer syntax (1.2.840.10008.1.2.1.99): a CT image of
     * {@code rows x columns} 16-bit samples whose Pixel Data element holds {@code pixelBytes} bytes
     * (a bomb declares a small image and carries hundreds of MB of zeros).
     */
    public static byte[] deflatedDicom(int rows, int columns, long pixelBytes) throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(new byte[128]);
        file.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        element(meta, 0x0002, 0x0001, "OB", new byte[] {0, 1});
        element(meta, 0x0002, 0x0002, "UI", uid("1.2.840.10008.5.1.4.1.1.2"));
        element(meta, 0x0002, 0x0003, "UI", uid("1.2.3.4.5.6.7.8.9"));
        element(meta, 0x0002, 0x0010, "UI", uid("1.2.840.10008.1.2.1.99"));
        element(meta, 0x0002, 0x0012, "UI", uid("1.2.3.4"));
        element(meta, 0x0002, 0x0000, "UL", le32(meta.size()));
        // The group length comes first: write it, then the elements counted by it.
        byte[] elements = meta.toByteArray();
        int groupLengthSize = 12;
        file.write(elements, elements.length - groupLengthSize, groupLengthSize);
        file.write(elements, 0, elements.length - groupLengthSize);
        ByteArrayOutputStream deflated = new ByteArrayOutputStream();
        try (DeflaterOutputStream dataset =
                new DeflaterOutputStream(deflated, new Deflater(1, true), 64 * 1024)) {
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            element(header, 0x0008, 0x0016, "UI", uid("1.2.840.10008.5.1.4.1.1.2"));
            element(header, 0x0008, 0x0018, "UI", uid("1.2.3.4.5.6.7.8.9"));
            element(header, 0x0008, 0x0060, "CS", "CT".getBytes(StandardCharsets.US_ASCII));
            element(header, 0x0028, 0x0002, "US", le16(1));
            element(header, 0x0028, 0x0004, "CS", padded("MONOCHROME2"));
            element(header, 0x0028, 0x0010, "US", le16(rows));
            element(header, 0x0028, 0x0011, "US", le16(columns));
            element(header, 0x0028, 0x0100, "US", le16(16));
            element(header, 0x0028, 0x0101, "US", le16(12));
            element(header, 0x0028, 0x0102, "US", le16(11));
            element(header, 0x0028, 0x0103, "US", le16(0));
            dataset.write(header.toByteArray());
            ByteBuffer pixelHeader = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            pixelHeader.putShort((short) 0x7FE0).putShort((short) 0x0010);
            pixelHeader.put((byte) 'O').put((byte) 'W').putShort((short) 0);
            pixelHeader.putInt((int) pixelBytes);
            dataset.write(pixelHeader.array());
            // A ramp, so a decoded image is not all one value.
            byte[] block = new byte[MIB];
            for (int i = 0; i < block.length; i += 2) {
                block[i] = (byte) ((i / 2) % 4096);
                block[i + 1] = (byte) (((i / 2) % 4096) >> 8);
            }
            for (long written = 0; written < pixelBytes; written += block.length) {
                dataset.write(block, 0, (int) Math.min(block.length, pixelBytes - written));
            }
        }
        file.writeBytes(deflated.toByteArray());
        return file.toByteArray();
    }

    /**
     * A 1x1 8-bit grey little-endian TIFF whose first directory's SubIFDs entry (tag 330) points at
     * a directory that points at the next, {@code depth} deep: 18 bytes per level (TIFF 6.0, TIFF
     * Technical Note 1).
     */
    public static byte[] nestedSubIfdTiff(int depth) {
        int entries = 10;
        int first = 10;
        int nested = first + 2 + 12 * entries + 4;
        ByteBuffer tiff = ByteBuffer.allocate(nested + 18 * depth).order(ByteOrder.LITTLE_ENDIAN);
        tiff.put(new byte[] {'I', 'I', 42, 0}).putInt(first).put((byte) 0x80).put((byte) 0);
        tiff.putShort((short) entries);
        ifdEntry(tiff, 256, 3, 1, 1); // ImageWidth
        ifdEntry(tiff, 257, 3, 1, 1); // ImageLength
        ifdEntry(tiff, 258, 3, 1, 8); // BitsPerSample
        ifdEntry(tiff, 259, 3, 1, 1); // no compression
        ifdEntry(tiff, 262, 3, 1, 1); // BlackIsZero
        ifdEntry(tiff, 273, 4, 1, 8); // StripOffsets: the pixel at byte 8
        ifdEntry(tiff, 277, 3, 1, 1); // SamplesPerPixel
        ifdEntry(tiff, 278, 3, 1, 1); // RowsPerStrip
        ifdEntry(tiff, 279, 4, 1, 1); // StripByteCounts
        ifdEntry(tiff, 330, 4, 1, nested); // SubIFDs
        tiff.putInt(0);
        for (int level = 0; level < depth; level++) {
            tiff.putShort((short) 1);
            ifdEntry(tiff, 330, 4, 1, level + 1 < depth ? nested + 18 * (level + 1) : 0);
            tiff.putInt(0);
        }
        return tiff.array();
    }

    /**
     * A 1x1 grey PNG with an {@code eXIf} chunk (PNG 1.5 extensions) holding a big-endian TIFF
     * structure whose directories each hold one SubIFDs pointer (tag 0x014A) to the next, {@code
     * depth} deep: no orientation anywhere.
     */
    public static byte[] nestedExifPng(int depth) throws IOException {
        ByteBuffer exif = ByteBuffer.allocate(8 + 18 * depth);
        exif.put(new byte[] {'M', 'M', 0, 42}).putInt(8);
        for (int level = 0; level < depth; level++) {
            exif.putShort((short) 1);
            ifdEntry(exif, 0x014A, 4, 1, level + 1 < depth ? 8 + 18 * (level + 1) : 0);
            exif.putInt(0);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ihdr(1, 1, 8, 0));
        chunk(png, "eXIf", exif.array());
        chunk(png, "IDAT", zlib(new byte[] {0, (byte) 0x80}));
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /**
     * A 16x16 tiled TIFF of {@code bands} uint16 bands, uncompressed, one real tile, whose
     * TileWidth tag says {@code tileWidth} (a reader that trusts it allocates a row that wide).
     */
    public static byte[] wideTileTiff(int bands, int tileWidth) {
        int size = 16;
        int tileBytes = size * size * bands * 2;
        int bitsAt = 8 + tileBytes;
        int formatAt = bitsAt + 2 * bands;
        int extraAt = formatAt + 2 * bands;
        int first = extraAt + 2 * (bands - 1);
        int entries = 13;
        ByteBuffer tiff =
                ByteBuffer.allocate(first + 2 + 12 * entries + 4).order(ByteOrder.LITTLE_ENDIAN);
        tiff.put(new byte[] {'I', 'I', 42, 0}).putInt(first);
        tiff.put(new byte[tileBytes]);
        for (int b = 0; b < bands; b++) {
            tiff.putShort((short) 16);
        }
        for (int b = 0; b < bands; b++) {
            tiff.putShort((short) 1); // unsigned integer
        }
        for (int b = 1; b < bands; b++) {
            tiff.putShort((short) 0); // unspecified extra samples
        }
        tiff.putShort((short) entries);
        ifdEntry(tiff, 256, 3, 1, size);
        ifdEntry(tiff, 257, 3, 1, size);
        ifdEntry(tiff, 258, 3, bands, bitsAt);
        ifdEntry(tiff, 259, 3, 1, 1);
        ifdEntry(tiff, 262, 3, 1, 1);
        ifdEntry(tiff, 277, 3, 1, bands);
        ifdEntry(tiff, 284, 3, 1, 1); // chunky
        ifdEntry(tiff, 322, 4, 1, tileWidth); // TileWidth
        ifdEntry(tiff, 323, 3, 1, size); // TileLength
        ifdEntry(tiff, 324, 4, 1, 8); // TileOffsets
        ifdEntry(tiff, 325, 4, 1, tileBytes); // TileByteCounts
        ifdEntry(tiff, 338, 3, bands - 1, extraAt); // ExtraSamples
        ifdEntry(tiff, 339, 3, bands, formatAt); // SampleFormat
        tiff.putInt(0);
        return tiff.array();
    }

    /** A {@code width x height} 8-bit grey PNG, all zero: a needle when one side is 1. */
    public static byte[] grayPng(int width, int height) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ihdr(width, height, 8, 0));
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (OutputStream zlib =
                new DeflaterOutputStream(raw, new java.util.zip.Deflater(9), 1 << 16)) {
            byte[] row = new byte[width + 1]; // filter byte, then samples
            for (int y = 0; y < height; y++) {
                zlib.write(row);
            }
        }
        chunk(png, "IDAT", raw.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /**
     * A lossless WebP (RFC 9649) of {@code side x side} black pixels whose entropy image gives
     * every 4 x 4 block its own prefix-code group: {@code (side / 4)^2} groups (65,536 at 1024),
     * each of five one-symbol codes (4 bits apiece), so the groups cost the file 2.5 bytes each and
     * the pixels nothing. libwebp decodes it (dwebp); TwelveMonkeys builds about 5.6 KB of tables
     * per group before it reads a pixel.
     */
    public static byte[] huffmanGroupWebp(int side) {
        int blocks = (side + 3) / 4;
        return huffmanGroupWebp(side, blocks * blocks);
    }

    /** As above with {@code groups} groups, the 4 x 4 blocks taking them in turn. */
    public static byte[] huffmanGroupWebp(int side, int groups) {
        WebpFiles.LsbBits bits = new WebpFiles.LsbBits();
        bits.write(0x2f, 8); // VP8L signature
        bits.write(side - 1, 14);
        bits.write(side - 1, 14);
        bits.write(0, 1); // no alpha
        bits.write(0, 3); // version 0
        bits.write(0, 1); // no transform
        bits.write(0, 1); // no colour cache
        bits.write(1, 1); // meta prefix codes
        bits.write(0, 3); // prefix bits 2: one entropy pixel per 4 x 4 block
        // The entropy image: no cache; green and red each code all 256 values in 8 bits, blue,
        // alpha and distance one symbol (0 bits).
        bits.write(0, 1);
        eightBitLiterals(bits, true); // green: 280 symbols, the first 256 used
        eightBitLiterals(bits, false); // red: 256 symbols
        for (int code = 0; code < 3; code++) {
            oneSymbol(bits);
        }
        int blocks = (side + 3) / 4;
        for (int block = 0; block < blocks * blocks; block++) {
            // Group index = red << 8 | green; a canonical 8-bit code of value v is v, top bit
            // first.
            int group = block % groups;
            bits.writeCode(group & 0xFF, 8);
            bits.writeCode(group >> 8, 8);
        }
        for (int group = 0; group < groups; group++) {
            for (int code = 0; code < 5; code++) {
                oneSymbol(bits); // green 0: every pixel a literal, read from zero bits
            }
        }
        return riffVp8l(bits.toByteArray());
    }

    /**
     * A lossless WebP of {@code side x side} black pixels whose codes take no bits: 35 bytes for
     * any size. A decoder's cost is all per pixel, none per byte.
     */
    public static byte[] blackLosslessWebp(int side) {
        WebpFiles.LsbBits bits = new WebpFiles.LsbBits();
        bits.write(0x2f, 8);
        bits.write(side - 1, 14);
        bits.write(side - 1, 14);
        bits.write(0, 1 + 3 + 1 + 1 + 1); // no alpha, version 0, no transform, cache, meta codes
        for (int code = 0; code < 5; code++) {
            oneSymbol(bits);
        }
        return riffVp8l(bits.toByteArray());
    }

    /**
     * The reference lossy WebP ({@code images/lossy.webp}, 64 x 32, cwebp) with its VP8 key frame
     * header (RFC 6386 9.1: after the 3-byte frame tag and the start code) rewritten to declare
     * {@code width x height}: 382 bytes whose frame TwelveMonkeys' decoder builds as {@code
     * (ceil(width / 16) + 2) x (ceil(height / 16) + 2)} macroblocks of about 5.5 KB each before
     * reading one.
     */
    public static byte[] lossyWebpFrameSize(int width, int height) {
        byte[] webp = HostileCorpus.resource("lossy.webp");
        int frame = 12 + 8; // the RIFF header, then the VP8 chunk's header
        if (!new String(webp, 12, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("VP8 ")
                || (webp[frame + 3] & 0xFF) != 0x9D) {
            throw new IllegalStateException("images/lossy.webp is not a simple lossy file");
        }
        System.arraycopy(le16(width), 0, webp, frame + 6, 2);
        System.arraycopy(le16(height), 0, webp, frame + 8, 2);
        return webp;
    }

    private static byte[] riffVp8l(byte[] vp8l) {
        return WebpFiles.riff(WebpFiles.chunk("VP8L", vp8l));
    }

    /**
     * A normal prefix code giving symbols 0..255 length 8. Its code-length code has two symbols (0
     * and 8, one bit each), not the one symbol 8 alone: libwebp reads a one-symbol code from zero
     * bits, TwelveMonkeys from one, and the file must mean the same to both.
     */
    private static void eightBitLiterals(WebpFiles.LsbBits bits, boolean stopAt256) {
        bits.write(0, 1); // normal code
        // Code-length code lengths in the order 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8.
        bits.write(12 - 4, 4);
        for (int i = 0; i < 12; i++) {
            bits.write(i == 2 || i == 11 ? 1 : 0, 3);
        }
        if (stopAt256) {
            bits.write(1, 1); // max_symbol follows
            bits.write(3, 3); // in 2 + 2 * 3 = 8 bits
            bits.write(254, 8); // 2 + 254 = 256 lengths read
        } else {
            bits.write(0, 1);
        }
        for (int symbol = 0; symbol < 256; symbol++) {
            bits.writeCode(1, 1); // length 8: the second code of the code-length code
        }
    }

    /** A simple prefix code of the one symbol 0: a zero-bit code. */
    private static void oneSymbol(WebpFiles.LsbBits bits) {
        bits.write(1, 1); // simple
        bits.write(0, 1); // one symbol
        bits.write(0, 1); // in 1 bit
        bits.write(0, 1); // symbol 0
    }

    /** Writes {@code bytes} to {@code dir/name} and returns the path. */
    public static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static byte[] zlibZeros(long count) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[MIB];
        try (OutputStream zlib = new DeflaterOutputStream(out, new Deflater(1), 64 * 1024)) {
            for (long written = 0; written < count; written += zeros.length) {
                zlib.write(zeros, 0, (int) Math.min(zeros.length, count - written));
            }
        }
        return out.toByteArray();
    }

    private static byte[] zlib(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream zlib = new DeflaterOutputStream(out)) {
            zlib.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] ihdr(int width, int height, int bitDepth, int colourType) {
        return ByteBuffer.allocate(13)
                .putInt(width)
                .putInt(height)
                .put((byte) bitDepth)
                .put((byte) colourType)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0)
                .array();
    }

    /** Appends a PNG chunk: length, type, data, CRC-32 of type and data (PNG 1.2, 5.3). */
    public static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static void segment(ByteArrayOutputStream jpeg, int marker, byte[] payload) {
        jpeg.write(0xFF);
        jpeg.write(marker);
        int length = payload.length + 2;
        jpeg.write(length >> 8);
        jpeg.write(length & 0xFF);
        jpeg.writeBytes(payload);
    }

    private static void ifdEntry(ByteBuffer tiff, int tag, int type, int count, int value) {
        tiff.putShort((short) tag).putShort((short) type).putInt(count);
        if (type == 3 && count == 1) {
            tiff.putShort((short) value).putShort((short) 0);
        } else {
            tiff.putInt(value);
        }
    }

    /** An explicit VR little endian element (PS3.5 7.1.2). */
    private static void element(
            ByteArrayOutputStream out, int group, int element, String vr, byte[] value) {
        boolean longForm = vr.equals("OB") || vr.equals("OW") || vr.equals("UN");
        ByteBuffer header = ByteBuffer.allocate(longForm ? 12 : 8).order(ByteOrder.LITTLE_ENDIAN);
        header.putShort((short) group).putShort((short) element);
        header.put(vr.getBytes(StandardCharsets.US_ASCII));
        if (longForm) {
            header.putShort((short) 0).putInt(value.length);
        } else {
            header.putShort((short) value.length);
        }
        out.writeBytes(header.array());
        out.writeBytes(value);
    }

    private static byte[] uid(String uid) {
        return (uid.length() % 2 == 0 ? uid : uid + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] padded(String text) {
        return (text.length() % 2 == 0 ? text : text + " ").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] le16(int value) {
        return ByteBuffer.allocate(2)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) value)
                .array();
    }

    private static byte[] le32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }
}
