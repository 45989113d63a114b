package org.imagestream.decode;

/**
 * A JPEG Huffman table as ITU T.81 F.2.2.3 decodes with it: for each code length, the smallest and
 * largest code and where its values start; and, for codes of at most {@link #LOOKAHEAD} bits
 * (nearly all in practice), a table indexed by the next {@link #LOOKAHEAD} bits giving the code's
 * length and value at once.
 */
record JpegHuffmanTable(
        int[] minCode, int[] maxCode, int[] firstValue, byte[] values, int[] lookahead) {
    static final int LOOKAHEAD = 9;

    /**
     * The table of a DHT segment's 16 code counts ({@code counts[1..16]}) and values; null when the
     * values are not as many as the counts add up to, or the counts give more codes of a length
     * than that length has, all-ones code included (libjpeg refuses those tables too).
     */
    static JpegHuffmanTable of(int[] counts, byte[] values) {
        int total = 0;
        for (int length = 1; length <= 16; length++) {
            total += counts[length];
        }
        if (total != values.length) {
            return null;
        }
        int[] minCode = new int[17];
        int[] maxCode = new int[17];
        int[] firstValue = new int[17];
        int code = 0;
        int k = 0;
        for (int length = 1; length <= 16; length++) {
            minCode[length] = code;
            firstValue[length] = k;
            code += counts[length];
            k += counts[length];
            if (code >= 1 << length) {
                return null;
            }
            maxCode[length] = counts[length] > 0 ? code - 1 : -1;
            code <<= 1;
        }
        // Entry: length << 8 | value for every LOOKAHEAD-bit window a short code starts; 0 else.
        int[] lookahead = new int[1 << LOOKAHEAD];
        for (int length = 1; length <= LOOKAHEAD; length++) {
            for (int c = minCode[length]; c <= maxCode[length]; c++) {
                int value = values[firstValue[length] + c - minCode[length]] & 0xFF;
                int first = c << (LOOKAHEAD - length);
                java.util.Arrays.fill(
                        lookahead, first, first + (1 << (LOOKAHEAD - length)), length << 8 | value);
            }
        }
        return new JpegHuffmanTable(minCode, maxCode, firstValue, values, lookahead);
    }

    /** The next value in {@code bits}, or -1 when no code of at most 16 bits matches. */
    int decode(CodedBits bits) throws DecodeException {
        int window = bits.peek(LOOKAHEAD);
        if (window >= 0 && lookahead[window] != 0) {
            bits.skip(lookahead[window] >> 8);
            return lookahead[window] & 0xFF;
        }
        int code = bits.bit();
        for (int length = 1; length <= 16; length++) {
            if (code <= maxCode[length]) {
                int index = firstValue[length] + code - minCode[length];
                if (code < minCode[length] || index >= values.length) {
                    return -1;
                }
                return values[index] & 0xFF;
            }
            if (length < 16) {
                code = (code << 1) | bits.bit();
            }
        }
        return -1;
    }
}
