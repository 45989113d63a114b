package org.imagestream.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imagestream.decode.DecodeException.Reason;

/**
 * Compressed DICOM pixel data (PS3.5 A.4): the fragments of the encapsulated Pixel Data element are
 * grouped into frames (Basic Offset Table, else one fragment per frame, else frames split where a
 * JPEG or JPEG 2000 codestream starts), each frame is decoded, and the file is rewritten as
 * explicit VR little endian with native pixel data, as DCMTK's dcmdjpeg/dcmdrle would, so the rest
 * of the medical decoder (modality LUT, VOI window, frames) reads it like any uncompressed file.
 *
 * <p>Codecs: JPEG baseline and JPEG lossless (process 14 and its selection value 1) through
 * TwelveMonkeys (baseline delegated to the JDK's libjpeg); JPEG extended, 8 or 12 bits,
 * hand-written ({@link SequentialJpeg}: the JDK's JPEG decoder has no 12-bit precision); JPEG-LS
 * lossless and near-lossless hand-written ({@link JpegLs}: no Java codec on Maven Central); JPEG
 * 2000 (lossless and lossy) through jai-imageio-jpeg2000 (JJ2000); RLE Lossless hand-written
 * ({@link RleLossless}). Only single-sample (grayscale) images get here: the medical decoder
 * refuses colour before decoding any pixel.
 */
final class EncapsulatedPixelData {
    static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
    static final String JPEG_EXTENDED = "1.2.840.10008.1.2.4.51";
    static final String JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57";
    static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    static final String JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
    static final String JPEG_LS = "1.2.840.10008.1.2.4.81";
    static final String JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90";
    static final String JPEG_2000 = "1.2.840.10008.1.2.4.91";
    static final String RLE_LOSSLESS = "1.2.840.10008.1.2.5";

    /** The compressed transfer syntaxes decoded here. */
    static final Set<String> DECODED =
            Set.of(
                    JPEG_BASELINE,
                    JPEG_EXTENDED,
                    JPEG_LOSSLESS,
                    JPEG_LOSSLESS_SV1,
                    JPEG_LS_LOSSLESS,
                    JPEG_LS,
                    JPEG_2000_LOSSLESS,
                    JPEG_2000,
                    RLE_LOSSLESS);

    /** The first two bytes of a frame's codestream: JPEG SOI, JPEG 2000 SOC. */
    private static final Map<String, Integer> CODESTREAM_START =
            Map.of(
                    JPEG_BASELINE, 0xFFD8,
                    JPEG_EXTENDED, 0xFFD8,
                    JPEG_LOSSLESS, 0xFFD8,
                    JPEG_LOSSLESS_SV1, 0xFFD8,
                    JPEG_LS_LOSSLESS, 0xFFD8,
                    JPEG_LS, 0xFFD8,
                    JPEG_2000_LOSSLESS, 0xFF4F,
                    JPEG_2000, 0xFF4F);

    /** The hand-written codecs' common entry point. */
    @FunctionalInterface
    private interface FrameDecoder {
        void decodeFrame(byte[] in, int from, int to, NativeFrame frame) throws DecodeException;
    }

    private static final Map<String, FrameDecoder> HAND_WRITTEN =
            Map.of(
                    JPEG_EXTENDED, SequentialJpeg::decodeFrame,
                    JPEG_LS_LOSSLESS, JpegLs::decodeLosslessFrame,
                    JPEG_LS, JpegLs::decodeFrame);

    /** One item of encapsulated pixel data: where its bytes lie in the file. */
    record Fragment(int offset, int length) {}

    private EncapsulatedPixelData() {}

    /**
     * Bytes the rewrite holds beyond the input: the native file (header + every frame) and one
     * decoded frame's raster twice plus one int per sample of a row-by-row copy (ImageIO), plus 2
     * bytes per sample for the coefficients libjpeg buffers off the heap when a JPEG frame comes in
     * several scans (progressive). The hand-written codecs hold no raster; a frame in several
     * fragments is copied into one array, at most the fragments' bytes, which the native copy's
     * header part does not repeat.
     */
    static long workingBytes(DicomHeader header, int inputLength) {
        long frame = (long) header.rows() * header.columns() * header.samplesPerPixel();
        return inputLength + header.expectedPixelBytes() + frame * (2L * 4 + 4 + 2);
    }

    /**
     * The file rewritten with native pixel data, explicit VR little endian; {@code header} is the
     * encapsulated file's (single sample per pixel, geometry within the limits).
     */
    static DicomFileMeta.Readable toNative(
            DicomFileMeta.Readable readable, DicomHeader header, DecodeDeadline deadline)
            throws DecodeException {
        String syntax = readable.transferSyntax();
        byte[] file = readable.bytes();
        int bytesPerSample = (header.bitsAllocated() + 7) / 8;
        if (header.samplesPerPixel() != 1 || bytesPerSample < 1 || bytesPerSample > 4) {
            throw new DecodeException(
                    Reason.INCOMPATIBLE,
                    "compressed DICOM with "
                            + header.samplesPerPixel()
                            + " samples of "
                            + header.bitsAllocated()
                            + " bits is not decoded");
        }
        List<List<Fragment>> frames = frames(file, header, syntax);
        long nativeBytes = header.expectedPixelBytes();
        long padded = nativeBytes + (nativeBytes & 1);
        int elementStart = (int) header.pixelDataOffset() - 12; // tag, VR, reserved, length
        int trailing = file.length - header.pixelDataEnd();
        long size = elementStart + 12 + padded + trailing;
        if (size > Integer.MAX_VALUE - 16) {
            throw new DecodeException(
                    Reason.TOO_LARGE, "decompressed DICOM file would exceed 2 GiB");
        }
        byte[] out = DicomFileMeta.explicitLittleEndianCopy(readable, elementStart, (int) size);
        ByteBuffer element = ByteBuffer.wrap(out, elementStart, 12).order(ByteOrder.LITTLE_ENDIAN);
        element.putShort((short) 0x7FE0).putShort((short) 0x0010);
        element.put((byte) 'O').put((byte) (bytesPerSample == 1 ? 'B' : 'W'));
        element.putShort((short) 0).putInt((int) padded);
        int frameBytes = header.rows() * header.columns() * bytesPerSample;
        for (int f = 0; f < frames.size(); f++) {
            String what = "DICOM frame " + (f + 1) + " of " + frames.size();
            deadline.check(what);
            int outAt = elementStart + 12 + f * frameBytes;
            NativeFrame frame =
                    new NativeFrame(
                            header.columns(),
                            header.rows(),
                            bytesPerSample,
                            out,
                            outAt,
                            deadline,
                            what);
            decodeFrame(file, frames.get(f), syntax, frame);
        }
        System.arraycopy(
                file, header.pixelDataEnd(), out, (int) (elementStart + 12 + padded), trailing);
        return new DicomFileMeta.Readable(
                out,
                readable.datasetOffset(),
                DicomFileMeta.EXPLICIT_LE,
                readable.syntaxValueAt(),
                readable.syntaxLength());
    }

    /**
     * The fragments of each frame (PS3.5 A.4): the Basic Offset Table's offsets when it has any;
     * else every fragment for a single frame; else one fragment per frame when the counts match;
     * else (JPEG, JPEG 2000) a new frame at each fragment that starts a codestream.
     */
    static List<List<Fragment>> frames(byte[] file, DicomHeader header, String syntax)
            throws DecodeException {
        Fragment table = header.fragments().get(0);
        List<Fragment> data = header.fragments().subList(1, header.fragments().size());
        int frames = header.frames();
        if (data.isEmpty()) {
            throw new DecodeException(Reason.CORRUPT, "DICOM pixel data has no fragments");
        }
        if (table.length() > 0) {
            return byOffsetTable(file, table, data, frames);
        }
        if (frames == 1) {
            return List.of(data);
        }
        if (data.size() == frames) {
            List<List<Fragment>> each = new ArrayList<>();
            data.forEach(fragment -> each.add(List.of(fragment)));
            return each;
        }
        Integer start = CODESTREAM_START.get(syntax);
        List<List<Fragment>> split = new ArrayList<>();
        if (start != null) {
            for (Fragment fragment : data) {
                boolean starts =
                        fragment.length() >= 2
                                && ((file[fragment.offset()] & 0xFF) << 8
                                                | (file[fragment.offset() + 1] & 0xFF))
                                        == start;
                if (starts || split.isEmpty()) {
                    split.add(new ArrayList<>());
                }
                split.get(split.size() - 1).add(fragment);
            }
        }
        if (split.size() != frames) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "DICOM pixel data has "
                            + data.size()
                            + " fragments and no offset table; cannot tell its "
                            + frames
                            + " frames apart");
        }
        return split;
    }

    private static List<List<Fragment>> byOffsetTable(
            byte[] file, Fragment table, List<Fragment> data, int frames) throws DecodeException {
        if (table.length() != 4L * frames) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    "DICOM Basic Offset Table has "
                            + table.length() / 4
                            + " entries for "
                            + frames
                            + " frames");
        }
        ByteBuffer offsets =
                ByteBuffer.wrap(file, table.offset(), table.length())
                        .order(ByteOrder.LITTLE_ENDIAN);
        // Offsets count from the first byte of the first fragment's item tag.
        int base = data.get(0).offset() - 8;
        List<List<Fragment>> result = new ArrayList<>();
        int next = 0;
        for (int f = 0; f < frames; f++) {
            long offset = Integer.toUnsignedLong(offsets.getInt(table.offset() + 4 * f));
            int end =
                    f + 1 < frames
                            ? (int)
                                    Math.min(
                                            Integer.MAX_VALUE,
                                            Integer.toUnsignedLong(
                                                    offsets.getInt(table.offset() + 4 * (f + 1))))
                            : Integer.MAX_VALUE;
            if (next >= data.size()
                    || data.get(next).offset() - 8 - base != offset
                    || (f + 1 < frames && end <= offset)) {
                throw new DecodeException(
                        Reason.CORRUPT,
                        "DICOM Basic Offset Table entry " + f + " is not a fragment's start");
            }
            List<Fragment> frame = new ArrayList<>();
            while (next < data.size() && data.get(next).offset() - 8 - base < end) {
                frame.add(data.get(next++));
            }
            result.add(frame);
        }
        return Collections.unmodifiableList(result);
    }

    /**
     * Most tiles a JPEG 2000 frame may have. JJ2000 spends about 0.1-0.3 ms of CPU per tile
     * whatever its size, inside a decode no deadline can stop: a 2 MB frame of 2048 x 2048 in
     * 51,984 tiles of 9 x 9 took 16 s, one of 1024 x 1024 in 16,384 tiles 2 s. Modalities write one
     * tile, or a few hundred for the largest images.
     */
    static final int MAX_JPEG_2000_TILES = 4096;

    /** SOC (2 bytes) and SIZ up to its tile offsets: what the tile limit reads. */
    private static final int SIZ_END = 40;

    /**
     * Refuses a JPEG 2000 frame, given by its first bytes {@code head}, that does not start with
     * SOC and SIZ (T.800 A.5.1), or whose SIZ divides the image into more than {@link
     * #MAX_JPEG_2000_TILES} tiles.
     */
    static void requireFewTiles(byte[] head, String what) throws DecodeException {
        // A raw codestream, SOC then SIZ: PS3.5 excludes the JP2 file format's boxes (JJ2000 would
        // read past any box holding a decoy SIZ to the first codestream box), so a wrapper is
        // refused here; de-identification strips it before this.
        if (head.length < SIZ_END
                || head[0] != (byte) 0xFF
                || head[1] != (byte) 0x4F
                || head[2] != (byte) 0xFF
                || head[3] != (byte) 0x51) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    what
                            + " (JPEG 2000) does not start with its start-of-codestream and size"
                            + " segments (a JP2 file wrapper is not allowed in DICOM)");
        }
        ByteBuffer siz = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
        long width = Integer.toUnsignedLong(siz.getInt(8));
        long height = Integer.toUnsignedLong(siz.getInt(12));
        long tileWidth = Integer.toUnsignedLong(siz.getInt(24));
        long tileHeight = Integer.toUnsignedLong(siz.getInt(28));
        long tileX = Integer.toUnsignedLong(siz.getInt(32));
        long tileY = Integer.toUnsignedLong(siz.getInt(36));
        if (tileWidth == 0 || tileHeight == 0 || tileX >= width || tileY >= height) {
            throw new DecodeException(
                    Reason.CORRUPT, what + " (JPEG 2000) declares tiles that cover no image");
        }
        long across = (width - tileX + tileWidth - 1) / tileWidth;
        long down = (height - tileY + tileHeight - 1) / tileHeight;
        if (across > MAX_JPEG_2000_TILES
                || down > MAX_JPEG_2000_TILES
                || across * down > MAX_JPEG_2000_TILES) {
            throw new DecodeException(
                    Reason.CORRUPT,
                    what
                            + " (JPEG 2000) is divided into "
                            + across
                            + " x "
                            + down
                            + " tiles, more than "
                            + MAX_JPEG_2000_TILES
                            + ": each costs the decoder time whatever its size");
        }
    }

    /** The first {@code limit} bytes of a frame's codestream, across its fragments. */
    private static byte[] head(byte[] file, List<Fragment> fragments, int limit) {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        for (Fragment fragment : fragments) {
            int take = Math.min(fragment.length(), limit - head.size());
            head.write(file, fragment.offset(), take);
            if (head.size() >= limit) {
                break;
            }
        }
        return head.toByteArray();
    }

    /** One frame's fragments decoded into {@code frame} by the syntax's codec. */
    private static void decodeFrame(
            byte[] file, List<Fragment> fragments, String syntax, NativeFrame frame)
            throws DecodeException {
        String what = frame.what();
        if (syntax.equals(RLE_LOSSLESS)) {
            if (fragments.size() != 1) {
                throw new DecodeException(Reason.CORRUPT, what + " (RLE) spans several fragments");
            }
            Fragment only = fragments.get(0);
            RleLossless.decodeFrame(
                    file,
                    only.offset(),
                    only.length(),
                    frame.width() * frame.height(),
                    frame.bytesPerSample(),
                    frame.out(),
                    frame.outAt());
            return;
        }
        requireEndMarker(file, fragments, syntax, what);
        if (CODESTREAM_START.get(syntax) == 0xFF4F) {
            requireFewTiles(head(file, fragments, SIZ_END), what);
        }
        if (CODESTREAM_START.get(syntax) == 0xFFD8) {
            // libjpeg (the JDK's, under TwelveMonkeys) walks every progressive scan natively,
            // where no deadline reaches it.
            int scans = 0;
            for (Fragment fragment : fragments) {
                scans +=
                        JpegMarkers.scans(
                                file, fragment.offset(), fragment.offset() + fragment.length());
            }
            JpegMarkers.requireFewScans(scans);
        }
        FrameDecoder handWritten = HAND_WRITTEN.get(syntax);
        if (handWritten == null) {
            ImageIoFrames.decode(file, fragments, syntax, frame);
            return;
        }
        if (fragments.size() == 1) {
            Fragment only = fragments.get(0);
            handWritten.decodeFrame(file, only.offset(), only.offset() + only.length(), frame);
        } else {
            byte[] codestream = joined(file, fragments);
            handWritten.decodeFrame(codestream, 0, codestream.length, frame);
        }
    }

    private static void requireEndMarker(
            byte[] file, List<Fragment> fragments, String syntax, String what)
            throws DecodeException {
        if (!endsWithEndMarker(file, fragments)) {
            // A cut codestream decodes "successfully" with grey fill in ImageIO's JPEG reader.
            throw new DecodeException(
                    Reason.TRUNCATED,
                    what
                            + " ("
                            + DicomFileMeta.COMPRESSED.get(syntax)
                            + ") is cut short: its codestream has no end marker");
        }
    }

    /** A codestream split over several fragments, in one array. */
    private static byte[] joined(byte[] file, List<Fragment> fragments) {
        int length = fragments.stream().mapToInt(Fragment::length).sum();
        byte[] codestream = new byte[length];
        int at = 0;
        for (Fragment fragment : fragments) {
            System.arraycopy(file, fragment.offset(), codestream, at, fragment.length());
            at += fragment.length();
        }
        return codestream;
    }

    /**
     * Whether the frame's last fragment ends with the end-of-image (JPEG) or end-of-codestream
     * (JPEG 2000) marker, both FF D9, before at most a few bytes of padding (fragments have even
     * lengths): NUL, or FF, a JPEG fill byte, which pydicom's JPEG-lossy.dcm ends with.
     */
    static boolean endsWithEndMarker(byte[] file, List<Fragment> fragments) {
        if (fragments.isEmpty()) {
            return false;
        }
        Fragment last = fragments.get(fragments.size() - 1);
        int end = last.offset() + last.length();
        int padding = 0;
        while (end > last.offset() && isEndPadding(file[end - 1]) && padding < MAX_END_PADDING) {
            end--;
            padding++;
        }
        return end - last.offset() >= 2
                && (file[end - 2] & 0xFF) == 0xFF
                && (file[end - 1] & 0xFF) == 0xD9;
    }

    /**
     * A byte allowed after a codestream's end marker in its last fragment (fragments have even
     * lengths): NUL, or FF, a JPEG fill byte, which pydicom's JPEG-lossy.dcm ends with.
     */
    static boolean isEndPadding(byte b) {
        return b == 0 || b == (byte) 0xFF;
    }

    /** Padding bytes allowed after a codestream's end marker in its last fragment. */
    private static final int MAX_END_PADDING = 16;

    /**
     * The encapsulated Pixel Data element {@code file[start, header.pixelDataEnd())} with each
     * frame's codestream stripped of its metadata ({@link CodestreamMetadata}): one fragment per
     * frame, and a Basic Offset Table when there is more than one; null when no frame loses
     * anything but padding (the element is then kept byte for byte). An RLE frame is rebuilt from
     * its samples ({@link RleLossless#withoutUnusedBytes}) within {@code limits}: its geometry is
     * the file's claim, and PackBits expands 2 bytes into 128.
     */
    static byte[] withoutMetadata(
            byte[] file, DicomHeader header, String syntax, int start, DecodeLimits limits)
            throws DecodeException {
        boolean rle = syntax.equals(RLE_LOSSLESS);
        long plane = (long) header.columns() * header.rows();
        if (rle) {
            // Rebuilt from a frame's decoded bytes: one byte plane at a time, and its encoding.
            limits.check(header.columns(), header.rows(), 1, "DICOM RLE frame");
            limits.checkMemory(plane > Integer.MAX_VALUE - 8 ? -1 : 2 * plane, "DICOM RLE frame");
        }
        boolean jpeg2000 = syntax.equals(JPEG_2000) || syntax.equals(JPEG_2000_LOSSLESS);
        boolean jpegLs = syntax.equals(JPEG_LS) || syntax.equals(JPEG_LS_LOSSLESS);
        boolean changed = false;
        List<byte[]> cleaned = new ArrayList<>();
        for (List<Fragment> frame : frames(file, header, syntax)) {
            byte[] codestream = joined(file, frame);
            if (rle) {
                // Every segment decodes to one byte per pixel of the frame.
                byte[] rebuilt =
                        RleLossless.withoutUnusedBytes(
                                codestream,
                                0,
                                codestream.length,
                                header.samplesPerPixel() * ((header.bitsAllocated() + 7) / 8),
                                (int) plane);
                changed |= rebuilt != null;
                cleaned.add(rebuilt != null ? rebuilt : codestream);
                continue;
            }
            byte[] clean =
                    jpeg2000
                            ? CodestreamMetadata.jpeg2000(codestream, 0, codestream.length)
                            : CodestreamMetadata.jpeg(codestream, 0, codestream.length, jpegLs);
            changed |= !onlyPaddingRemoved(codestream, clean);
            cleaned.add(clean);
        }
        if (!changed) {
            return null;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(file.length);
        out.write(file, start, (int) header.pixelDataOffset() - start); // the element's header
        ByteBuffer table = ByteBuffer.allocate(cleaned.size() > 1 ? 4 * cleaned.size() : 0);
        table.order(ByteOrder.LITTLE_ENDIAN);
        int offset = 0;
        for (byte[] frame : cleaned) {
            if (table.hasRemaining()) {
                table.putInt(offset);
            }
            offset += 8 + frame.length + (frame.length & 1);
        }
        item(out, 0xE000, table.array());
        for (byte[] frame : cleaned) {
            item(
                    out,
                    0xE000,
                    (frame.length & 1) == 0 ? frame : Arrays.copyOf(frame, frame.length + 1));
        }
        item(out, 0xE0DD, new byte[0]); // sequence delimitation
        return out.toByteArray();
    }

    private static boolean onlyPaddingRemoved(byte[] codestream, byte[] clean) {
        if (clean.length > codestream.length
                || codestream.length - clean.length > MAX_END_PADDING
                || !Arrays.equals(codestream, 0, clean.length, clean, 0, clean.length)) {
            return false;
        }
        for (int i = clean.length; i < codestream.length; i++) {
            if (!isEndPadding(codestream[i])) {
                return false;
            }
        }
        return true;
    }

    /** An item (FFFE,{@code element}) of encapsulated pixel data, little endian (PS3.5 A.4). */
    private static void item(java.io.ByteArrayOutputStream out, int element, byte[] value) {
        ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        header.putShort((short) 0xFFFE).putShort((short) element).putInt(value.length);
        out.write(header.array(), 0, 8);
        out.write(value, 0, value.length);
    }
}
