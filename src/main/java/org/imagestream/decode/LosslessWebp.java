package org.imagestream.decode;

import java.util.ArrayList;
import java.util.List;
import org.imagestream.decode.DecodeException.Reason;

/**
 * Walks a lossless WebP bitstream (VP8L, RFC 9649) before TwelveMonkeys decodes it, for two things
 * that decoder does not check:
 *
 * <ul>
 *   <li>The heap it takes beyond the raster. It builds a group of five lookup tables (about 5.5 KB)
 *       for every value of the entropy image, and the number of groups is in the bitstream alone: a
 *       290 KB file that declares 65,536 groups of one-symbol codes makes it build 360 MB of tables
 *       before it reads one pixel, which no pixel-count or file-size limit sees. The walk decodes
 *       the transforms' and the entropy image's sub-images (small: one pixel per 4 x 4 to 512 x 512
 *       block) and reads each group's code lengths, charging each allocation to the decode-memory
 *       budget before it is made: a bomb is {@code TOO_LARGE} after a few milliseconds.
 *   <li>That the pixels' codes are all there. TwelveMonkeys reads past the end of the data as
 *       zeros, so a stream cut inside its pixels decodes to an image whose rest is made up; the
 *       walk reads every pixel's codes (without keeping the pixels: about a third of a decode's
 *       time) and a stream that ends early is {@code TRUNCATED}.
 * </ul>
 *
 * A bitstream libwebp refuses (a prefix code that is not complete, a backward reference outside the
 * image) is {@code CORRUPT}; every verdict comes from the bytes alone, the same on every replay.
 */
final class LosslessWebp {
    /**
     * TwelveMonkeys' heap for one prefix code without long codes: its 256-entry first-level table
     * ({@code int[256]}, 1,040 bytes with the array header) and the table's object and second-level
     * list.
     */
    static final long TABLE_BYTES = 1_120;

    /** Five tables, the group object and its slot in the group array. */
    static final long GROUP_BYTES = 5 * TABLE_BYTES + 48;

    /** Codes longer than this go to second-level tables in TwelveMonkeys' decoder. */
    private static final int FIRST_LEVEL_BITS = 8;

    private static final int MAX_CODE_LENGTH = 15;
    private static final int LENGTH_PREFIXES = 24;
    private static final int DISTANCE_ALPHABET = 40;
    private static final int[] CODE_LENGTH_ORDER = {
        17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    };

    /** RFC 9649 section 4.2.2: distance codes 1..120 as (x, y) offsets to a nearby pixel. */
    private static final int[] DISTANCE_MAP = {
        0, 1, 1, 0, 1, 1, -1, 1, 0, 2, 2, 0, 1, 2, -1, 2, 2, 1, -2, 1, 2, 2, -2, 2, 0, 3, 3, 0, 1,
        3, -1, 3, 3, 1, -3, 1, 2, 3, -2, 3, 3, 2, -3, 2, 0, 4, 4, 0, 1, 4, -1, 4, 4, 1, -4, 1, 3, 3,
        -3, 3, 2, 4, -2, 4, 4, 2, -4, 2, 0, 5, 3, 4, -3, 4, 4, 3, -4, 3, 5, 0, 1, 5, -1, 5, 5, 1,
        -5, 1, 2, 5, -2, 5, 5, 2, -5, 2, 4, 4, -4, 4, 3, 5, -3, 5, 5, 3, -5, 3, 0, 6, 6, 0, 1, 6,
        -1, 6, 6, 1, -6, 1, 2, 6, -2, 6, 6, 2, -6, 2, 4, 5, -4, 5, 5, 4, -5, 4, 3, 6, -3, 6, 6, 3,
        -6, 3, 0, 7, 7, 0, 1, 7, -1, 7, 5, 5, -5, 5, 7, 1, -7, 1, 4, 6, -4, 6, 6, 4, -6, 4, 2, 7,
        -2, 7, 7, 2, -7, 2, 3, 7, -3, 7, 7, 3, -7, 3, 5, 6, -5, 6, 6, 5, -6, 5, 8, 0, 4, 7, -4, 7,
        7, 4, -7, 4, 8, 1, 8, 2, 6, 6, -6, 6, 8, 3, 5, 7, -5, 7, 7, 5, -7, 5, 8, 4, 6, 7, -6, 7, 7,
        6, -7, 6, 8, 5, 7, 7, -7, 7, 8, 6, 8, 7
    };

    private final Bits bits;
    private final long budget;
    private final String what;
    private long charged;
    private int groups;

    /**
     * Code lengths of the code being read (the largest alphabet: green with a 2048-entry cache).
     */
    private final int[] scratchLengths = new int[256 + LENGTH_PREFIXES + 2048];

    private LosslessWebp(Bits bits, long budget, String what) {
        this.bits = bits;
        this.budget = budget;
        this.what = what;
    }

    /**
     * Walks the lossless parts of a WebP file ({@link SocialFormat#losslessWebpParts}) to their
     * last pixel; returns the most heap TwelveMonkeys' lossless decoder takes beyond the raster for
     * any of them, 0 when it has none.
     *
     * @param imagePixels the image's width x height, already within the limits: a part may not be
     *     larger (so the walk's time is bounded by the pixel limit)
     * @throws DecodeException {@code TOO_LARGE} once a part's walk passes {@code budget}; {@code
     *     TRUNCATED} for a stream that ends before its pixels do; {@code CORRUPT} for a bitstream a
     *     conforming decoder refuses
     */
    static long heapBytes(
            byte[] file,
            List<SocialFormat.LosslessPart> parts,
            long imagePixels,
            long budget,
            String what)
            throws DecodeException {
        long most = 0;
        for (SocialFormat.LosslessPart part : parts) {
            most = Math.max(most, walk(file, part, imagePixels, budget, what).heapBytes());
        }
        return most;
    }

    /** Walks one part through every pixel's codes to its last bit. */
    static Walk walk(
            byte[] file, SocialFormat.LosslessPart part, long imagePixels, long budget, String what)
            throws DecodeException {
        Bits bits = new Bits(file, part.from(), part.end(), what);
        int width = part.width();
        int height = part.height();
        if (!part.headerless()) {
            if (bits.read(8) != 0x2f) {
                throw corrupt(what, "no VP8L signature");
            }
            width = bits.read(14) + 1;
            height = bits.read(14) + 1;
            if (part.width() > 0 && (width != part.width() || height != part.height())) {
                // TwelveMonkeys decodes it at the canvas's or the frame's size, and libwebp
                // refuses the mismatch: the walk would read other codes than the decoder.
                throw corrupt(
                        what,
                        "a lossless image of "
                                + width
                                + "x"
                                + height
                                + " in a canvas or frame of "
                                + part.width()
                                + "x"
                                + part.height());
            }
            bits.read(1); // alpha is used
            if (bits.read(3) != 0) {
                throw corrupt(what, "VP8L version is not 0");
            }
        }
        if (width <= 0 || height <= 0) {
            throw corrupt(what, "a lossless part without pixels");
        }
        if ((long) width * height > imagePixels) {
            throw corrupt(what, "a lossless part larger than its image");
        }
        LosslessWebp walker = new LosslessWebp(bits, budget, what);
        walker.image(width, height);
        return new Walk(walker.charged, walker.groups, bits.position - 8L * part.from());
    }

    /** What a walk found: heap charged, prefix-code groups, bits read from the part's start. */
    record Walk(long heapBytes, int groups, long bitsRead) {}

    /** The top-level image: transforms, colour cache, meta prefix codes, groups (5.1). */
    private void image(int width, int height) throws DecodeException {
        int xsize = width;
        boolean[] seen = new boolean[4];
        while (bits.read(1) == 1) {
            int type = bits.read(2);
            if (seen[type]) {
                throw corrupt(what, "a VP8L transform used twice");
            }
            seen[type] = true;
            switch (type) {
                case 0, 1 -> {
                    int blockBits = bits.read(3) + 2;
                    subImage(blocks(xsize, blockBits), blocks(height, blockBits));
                }
                case 3 -> {
                    int colours = bits.read(8) + 1;
                    subImage(colours, 1);
                    int packing = colours <= 2 ? 3 : colours <= 4 ? 2 : colours <= 16 ? 1 : 0;
                    xsize = blocks(xsize, packing);
                }
                default -> {} // subtract green: no data
            }
        }
        int cacheBits = colourCacheBits();
        int[] entropy = null;
        int prefixBits = 0;
        groups = 1;
        if (bits.read(1) == 1) {
            prefixBits = bits.read(3) + 2;
            entropy = subImage(blocks(xsize, prefixBits), blocks(height, prefixBits));
            int most = 0;
            for (int pixel : entropy) {
                most = Math.max(most, (pixel >> 8) & 0xffff);
            }
            groups = most + 1;
        }
        charge(groups * GROUP_BYTES);
        Code[][] codes = new Code[groups][];
        for (int g = 0; g < groups; g++) {
            codes[g] = group(cacheBits);
        }
        pixels(xsize, height, cacheBits, codes, entropy, prefixBits, false);
    }

    /** An entropy-coded sub-image (5.2.2): colour cache, one group, pixels. */
    private int[] subImage(int width, int height) throws DecodeException {
        charge(4L * width * height); // TwelveMonkeys holds it as an int raster
        int cacheBits = colourCacheBits();
        Code[][] single = {group(cacheBits)};
        return pixels(width, height, cacheBits, single, null, 0, true);
    }

    private int colourCacheBits() throws DecodeException {
        if (bits.read(1) == 0) {
            return 0;
        }
        int cacheBits = bits.read(4);
        if (cacheBits < 1 || cacheBits > 11) {
            throw corrupt(what, "colour cache of " + cacheBits + " bits");
        }
        charge(4L << cacheBits);
        return cacheBits;
    }

    /** The five prefix codes of a group: green + lengths + cache, red, blue, alpha, distance. */
    private Code[] group(int cacheBits) throws DecodeException {
        int green = 256 + LENGTH_PREFIXES + (cacheBits > 0 ? 1 << cacheBits : 0);
        return new Code[] {code(green), code(256), code(256), code(256), code(DISTANCE_ALPHABET)};
    }

    /** One prefix code (3.7.2.1.1 simple, 3.7.2.1.2 normal), its long codes charged. */
    private Code code(int alphabet) throws DecodeException {
        int[] lengths = scratchLengths;
        java.util.Arrays.fill(lengths, 0, alphabet, 0);
        if (bits.read(1) == 1) {
            int symbols = bits.read(1) + 1;
            int first = bits.read(bits.read(1) == 1 ? 8 : 1);
            lengths[symbol(first, alphabet)] = 1;
            if (symbols == 2) {
                int second = symbol(bits.read(8), alphabet);
                if (second <= first) {
                    // libwebp gives the smaller symbol the code 0, TwelveMonkeys the first read.
                    throw differentlyRead("a two-symbol code listed out of order");
                }
                lengths[second] = 1;
            }
            return Code.of(lengths, alphabet, what);
        }
        int[] lengthCodeLengths = new int[CODE_LENGTH_ORDER.length];
        int count = bits.read(4) + 4;
        for (int i = 0; i < count; i++) {
            lengthCodeLengths[CODE_LENGTH_ORDER[i]] = bits.read(3);
        }
        Code lengthCode = normal(lengthCodeLengths, lengthCodeLengths.length);
        int left = alphabet;
        if (bits.read(1) == 1) {
            left = 2 + bits.read(2 + 2 * bits.read(3));
            if (left > alphabet) {
                throw corrupt(what, "more code lengths than symbols");
            }
        }
        int previous = 8;
        int symbol = 0;
        while (symbol < alphabet && left-- > 0) {
            int length = lengthCode.decode(bits);
            if (length < 16) {
                lengths[symbol++] = length;
                if (length != 0) {
                    previous = length;
                }
                continue;
            }
            int repeat =
                    switch (length) {
                        case 16 -> 3 + bits.read(2);
                        case 17 -> 3 + bits.read(3);
                        default -> 11 + bits.read(7);
                    };
            if (symbol + repeat > alphabet) {
                throw corrupt(what, "code lengths repeated past the alphabet");
            }
            int value = length == 16 ? previous : 0;
            for (int i = 0; i < repeat; i++) {
                lengths[symbol++] = value;
            }
        }
        Code code = normal(lengths, alphabet);
        // TwelveMonkeys' tables, or the walk's own copy of the code where that is larger (the walk
        // holds every group's codes until the last pixel, before TwelveMonkeys builds its own).
        charge(code.secondLevelBytes() + Math.max(0, code.ownBytes() - TABLE_BYTES));
        return code;
    }

    /**
     * A normally coded prefix code. One used symbol is a zero-bit code for libwebp, but
     * TwelveMonkeys reads a bit for it at some bit patterns and none at others, so the two would
     * walk different streams from there: such a file is not read.
     */
    private Code normal(int[] lengths, int alphabet) throws DecodeException {
        Code code = Code.of(lengths, alphabet, what);
        if (code.single >= 0) {
            throw differentlyRead("a normally coded prefix code of one symbol");
        }
        return code;
    }

    /**
     * A construct libwebp decodes one way and TwelveMonkeys another: the walk could not vouch for
     * what TwelveMonkeys would build (its tables, its groups) from the rest of the stream.
     */
    private DecodeException differentlyRead(String construct) {
        return new DecodeException(
                Reason.UNSUPPORTED_FORMAT,
                what
                        + ": its lossless bitstream has "
                        + construct
                        + ", which the decoder reads differently from libwebp");
    }

    /**
     * Decodes {@code width x height} pixels (5.2.2: literals, backward references, cache hits);
     * keeps their ARGB values when {@code keep} (sub-images), else only checks the codes.
     */
    private int[] pixels(
            int width,
            int height,
            int cacheBits,
            Code[][] codes,
            int[] entropy,
            int prefixBits,
            boolean keep)
            throws DecodeException {
        int total = Math.multiplyExact(width, height);
        int[] argb = keep ? new int[total] : null;
        int[] cache = keep && cacheBits > 0 ? new int[1 << cacheBits] : null;
        int cached = 0;
        int entropyWidth = blocks(width, prefixBits);
        int at = 0;
        while (at < total) {
            Code[] group = codes[0];
            if (entropy != null) {
                int x = at % width;
                int y = at / width;
                group =
                        codes[
                                (entropy[(y >> prefixBits) * entropyWidth + (x >> prefixBits)] >> 8)
                                        & 0xffff];
            }
            int green = group[0].decode(bits);
            if (green < 256) {
                int red = group[1].decode(bits);
                int blue = group[2].decode(bits);
                int alpha = group[3].decode(bits);
                if (keep) {
                    argb[at] = alpha << 24 | red << 16 | green << 8 | blue;
                }
                at++;
            } else if (green < 256 + LENGTH_PREFIXES) {
                int length = prefixValue(green - 256);
                int distance = planeDistance(prefixValue(group[4].decode(bits)), width);
                if (distance > at || length > total - at) {
                    throw corrupt(what, "a backward reference outside the image");
                }
                if (keep) {
                    for (int i = 0; i < length; i++) {
                        argb[at + i] = argb[at + i - distance];
                    }
                }
                at += length;
            } else {
                if (keep) {
                    argb[at] = cache[green - 256 - LENGTH_PREFIXES];
                }
                at++;
            }
            if (cache != null) {
                for (; cached < at; cached++) {
                    cache[(0x1e35a7bd * argb[cached]) >>> (32 - cacheBits)] = argb[cached];
                }
            }
        }
        return argb;
    }

    /** LZ77 prefix code to value (5.2.2). */
    private int prefixValue(int prefix) throws DecodeException {
        if (prefix < 4) {
            return prefix + 1;
        }
        int extra = (prefix - 2) >> 1;
        int offset = (2 + (prefix & 1)) << extra;
        return offset + bits.read(extra) + 1;
    }

    private static int planeDistance(int code, int width) {
        if (code > 120) {
            return code - 120;
        }
        int x = DISTANCE_MAP[2 * (code - 1)];
        int y = DISTANCE_MAP[2 * (code - 1) + 1];
        return Math.max(1, x + y * width);
    }

    private int symbol(int symbol, int alphabet) throws DecodeException {
        if (symbol >= alphabet) {
            throw corrupt(what, "a symbol outside its alphabet");
        }
        return symbol;
    }

    private void charge(long bytes) throws DecodeException {
        charged += bytes;
        if (charged > budget) {
            throw new DecodeException(
                    Reason.TOO_LARGE,
                    what
                            + ": its lossless bitstream makes the decoder build more than "
                            + DecodeLimits.mebibytes(budget)
                            + " of tables and sub-images ("
                            + (groups > 1 ? groups + " prefix-code groups" : "transforms")
                            + "), over limits.max-decode-memory");
        }
    }

    private static int blocks(int size, int blockBits) {
        return (size + (1 << blockBits) - 1) >> blockBits;
    }

    private static DecodeException corrupt(String what, String why) {
        return new DecodeException(Reason.CORRUPT, what + ": lossless bitstream: " + why);
    }

    /** A canonical prefix code, decoded a bit at a time as DEFLATE's (first bit = top bit). */
    private static final class Code {
        private final int[] counts; // codes per length
        private final short[] symbols; // by length, then symbol
        private final int single; // the symbol of a zero-bit code, or -1
        private final long secondLevelBytes;

        private Code(int[] counts, short[] symbols, int single, long secondLevelBytes) {
            this.counts = counts;
            this.symbols = symbols;
            this.single = single;
            this.secondLevelBytes = secondLevelBytes;
        }

        /** As libwebp builds it: one symbol is a zero-bit code, otherwise it must be complete. */
        /** The code of {@code lengths[0, alphabet)}. */
        static Code of(int[] lengths, int alphabet, String what) throws DecodeException {
            int[] counts = new int[MAX_CODE_LENGTH + 1];
            int used = 0;
            int last = -1;
            for (int symbol = 0; symbol < alphabet; symbol++) {
                if (lengths[symbol] != 0) {
                    counts[lengths[symbol]]++;
                    used++;
                    last = symbol;
                }
            }
            if (used == 0) {
                throw corrupt(what, "a prefix code without symbols");
            }
            if (used == 1) {
                return new Code(counts, new short[] {(short) last}, last, 0);
            }
            long open = 1;
            for (int length = 1; length <= MAX_CODE_LENGTH; length++) {
                open = 2 * open - counts[length];
                if (open < 0) {
                    throw corrupt(what, "a prefix code with more codes than lengths allow");
                }
            }
            if (open != 0) {
                throw corrupt(what, "an incomplete prefix code");
            }
            int[] offsets = new int[MAX_CODE_LENGTH + 2];
            for (int length = 1; length <= MAX_CODE_LENGTH; length++) {
                offsets[length + 1] = offsets[length] + counts[length];
            }
            short[] symbols = new short[used];
            int longest = 0;
            for (int symbol = 0; symbol < alphabet; symbol++) {
                if (lengths[symbol] != 0) {
                    symbols[offsets[lengths[symbol]]++] = (short) symbol;
                    longest = Math.max(longest, lengths[symbol]);
                }
            }
            // Second-level tables: each long code fills 2^(longest - length) entries of its
            // table at most, plus a table object per long code at most.
            long second = 0;
            for (int length = FIRST_LEVEL_BITS + 1; length <= longest; length++) {
                second += (long) counts[length] * ((4L << (longest - length)) + 32);
            }
            return new Code(counts, symbols, -1, second);
        }

        long secondLevelBytes() {
            return secondLevelBytes;
        }

        /** This object's heap: its header, the counts and the symbols. */
        long ownBytes() {
            return 40 + (16 + 4L * counts.length) + (16 + 2L * symbols.length);
        }

        int decode(Bits bits) throws DecodeException {
            if (single >= 0) {
                return single;
            }
            int code = 0;
            int first = 0;
            int index = 0;
            for (int length = 1; length <= MAX_CODE_LENGTH; length++) {
                code |= bits.read(1);
                int count = counts[length];
                if (code - first < count) {
                    return symbols[index + code - first];
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            throw new IllegalStateException("a complete code always decodes");
        }
    }

    /** Bits of {@code b[from, end)}, least significant first. */
    private static final class Bits {
        private final byte[] b;
        private final long endBit;
        private final String what;
        private long position;

        Bits(byte[] b, int from, int end, String what) {
            this.b = b;
            this.position = 8L * from;
            this.endBit = 8L * end;
            this.what = what;
        }

        int read(int count) throws DecodeException {
            if (position + count > endBit) {
                throw new DecodeException(
                        Reason.TRUNCATED, what + ": its lossless bitstream ends inside its data");
            }
            int value = 0;
            for (int i = 0; i < count; i++, position++) {
                value |= ((b[(int) (position >>> 3)] >> (position & 7)) & 1) << i;
            }
            return value;
        }
    }

    /** Test hook: every lossless part walked to its last bit. */
    static List<Walk> walkWhole(byte[] file, long budget, String what) throws DecodeException {
        List<Walk> walks = new ArrayList<>();
        for (SocialFormat.LosslessPart part : SocialFormat.losslessWebpParts(file)) {
            walks.add(walk(file, part, Long.MAX_VALUE, budget, what));
        }
        return walks;
    }
}
