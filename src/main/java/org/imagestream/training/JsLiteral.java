package org.imagestream.training;

/**
 * Turns a JavaScript object literal, as minifiers emit it, into JSON: quotes bare keys, rewrites
 * {@code !0}/{@code !1} to {@code true}/{@code false} and {@code .5} to {@code 0.5}. Strings are
 * copied untouched. Enough for the data modules TF.js model bundles ship (e.g. nsfwjs' {@code
 * model.min.js}), not a JavaScript parser.
 */
final class JsLiteral {
    private JsLiteral() {}

    /**
     * The object literal that starts with {@code opening} (e.g. {@code "{format:"}), as JSON
     * text.
     */
    static String objectStartingWith(String source, String opening) {
        if (!opening.startsWith("{")) {
            throw new IllegalArgumentException("an object literal starts with '{'");
        }
        int start = source.indexOf(opening);
        if (start < 0) {
            throw new IllegalArgumentException("no '" + opening + "' in the module");
        }
        return toJson(source, start, endOfValue(source, start));
    }

    /** The longest double-quoted string literal in {@code source} (a base64 weight shard). */
    static String longestString(String source) {
        int bestStart = -1;
        int bestEnd = -1;
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '"' || c == '\'') {
                int end = endOfString(source, i);
                if (end - i > bestEnd - bestStart) {
                    bestStart = i;
                    bestEnd = end;
                }
                i = end;
            }
        }
        if (bestStart < 0) {
            throw new IllegalArgumentException("no string literal in the module");
        }
        return source.substring(bestStart + 1, bestEnd);
    }

    private static int endOfValue(String s, int start) {
        int depth = 0;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'') {
                i = endOfString(s, i);
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    return i + 1;
                }
            }
        }
        throw new IllegalArgumentException("unterminated object literal");
    }

    /** Index of the closing quote of the string starting at {@code start}. */
    private static int endOfString(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i;
            }
        }
        throw new IllegalArgumentException("unterminated string literal");
    }

    private static String toJson(String s, int start, int end) {
        StringBuilder out = new StringBuilder(end - start + 1024);
        int i = start;
        while (i < end) {
            char c = s.charAt(i);
            if (c == '"') {
                int close = endOfString(s, i);
                out.append(s, i, close + 1);
                i = close + 1;
            } else if (c == '\'') {
                int close = endOfString(s, i);
                out.append('"')
                        .append(s.substring(i + 1, close).replace("\\'", "'").replace("\"", "\\\""))
                        .append('"');
                i = close + 1;
            } else if (c == '!'
                    && i + 1 < end
                    && (s.charAt(i + 1) == '0' || s.charAt(i + 1) == '1')) {
                out.append(s.charAt(i + 1) == '0' ? "true" : "false");
                i += 2;
            } else if (Character.isDigit(c)
                    || (c == '.' && i + 1 < end && Character.isDigit(s.charAt(i + 1)))) {
                // A number: digits, one dot, an exponent. JSON needs a digit before the dot.
                int j = i;
                while (j < end && "0123456789.eE+-".indexOf(s.charAt(j)) >= 0) {
                    char d = s.charAt(j);
                    if ((d == '+' || d == '-')
                            && !(s.charAt(j - 1) == 'e' || s.charAt(j - 1) == 'E')) {
                        break;
                    }
                    j++;
                }
                if (c == '.') {
                    out.append('0');
                }
                out.append(s, i, j);
                i = j;
            } else if (Character.isJavaIdentifierStart(c)) {
                int j = i;
                while (j < end && Character.isJavaIdentifierPart(s.charAt(j))) {
                    j++;
                }
                String word = s.substring(i, j);
                int next = j;
                while (next < end && Character.isWhitespace(s.charAt(next))) {
                    next++;
                }
                boolean isKey = next < end && s.charAt(next) == ':';
                if (isKey) {
                    out.append('"').append(word).append('"');
                } else if (word.equals("true") || word.equals("false") || word.equals("null")) {
                    out.append(word);
                } else {
                    throw new IllegalArgumentException(
                            "unsupported JavaScript value '" + word + "' in object literal");
                }
                i = j;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
