package org.qwen4j.core.tokenizer;

import java.util.Locale;

/**
 * The Qwen pre-tokenizers, {@code tokenizer.ggml.pre = qwen2} (Qwen1.5, 2, 2.5, 3) and
 * {@code qwen35}, written as a scanner rather than a regex. The qwen2 rule, in llama.cpp's spelling:
 *
 * <pre>
 * (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
 * |[^\r\n\p{L}\p{N}]?\p{L}+
 * |\p{N}
 * | ?[^\s\p{L}\p{N}]+[\r\n]*
 * |\s*[\r\n]+
 * |\s+(?!\S)
 * |\s+
 * </pre>
 *
 * qwen35 reads {@code [\p{L}\p{M}]+} for {@code \p{L}+} and {@code [^\s\p{L}\p{M}\p{N}]+} for
 * {@code [^\s\p{L}\p{N}]+}, so that combining accents stay inside their word.
 *
 * <p>Java's regex engine could run the pattern, but its {@code \s} is not Unicode's and
 * {@code \s+(?!\S)} backtracks over every run of spaces; a scanner needs neither. The
 * alternatives are tried in the order above at every position, as a regex engine would: the
 * contractions are ASCII-case-insensitive only (llama.cpp rewrote Hugging Face's {@code (?i:…)} that
 * way), digits are split one by one, and a run of spaces before a word leaves its last space to
 * that word.
 */
final class QwenPreTokenizer implements PreTokenizer {
    static final QwenPreTokenizer QWEN2 = new QwenPreTokenizer(false);
    static final QwenPreTokenizer QWEN35 = new QwenPreTokenizer(true);

    /** Flags that count as word characters: letters, plus combining marks under qwen35. */
    private final int wordFlags;
    /** Flags that end a run of "other" characters (punctuation, symbols …). */
    private final int notOtherFlags;

    private QwenPreTokenizer(boolean marksJoinWords) {
        this.wordFlags = CodepointClass.LETTER | (marksJoinWords ? CodepointClass.MARK : 0);
        this.notOtherFlags = wordFlags | CodepointClass.NUMBER | CodepointClass.WHITESPACE;
    }

    /**
     * The pre-tokenizer for a {@code tokenizer.ggml.pre} value, or null when it is not a Qwen one.
     * {@code deepseek-r1-qwen} (DeepSeek's distillations into Qwen) uses the qwen2 rule, as in llama.cpp.
     */
    static QwenPreTokenizer forName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "qwen2", "deepseek-r1-qwen" -> QWEN2;
            case "qwen35" -> QWEN35;
            default -> null;
        };
    }

    @Override
    public void split(String text, int start, int end, WordSink sink) {
        // Work on code points so that lookahead is one step whatever the UTF-16 length.
        int n = text.codePointCount(start, end);
        int[] cps = new int[n];
        int[] flags = new int[n];
        int[] charAt = new int[n + 1];
        for (int i = 0, c = start; i < n; i++) {
            int cp = text.codePointAt(c);
            cps[i] = cp;
            flags[i] = CodepointClass.of(cp);
            charAt[i] = c;
            c += Character.charCount(cp);
        }
        charAt[n] = end;

        int pos = 0;
        while (pos < n) {
            int next = match(cps, flags, n, pos);
            sink.word(charAt[pos], charAt[next]);
            pos = next;
        }
    }

    /** The end of the word that starts at {@code pos}: the first alternative that matches there wins. */
    private int match(int[] cps, int[] flags, int n, int pos) {
        int cp = cps[pos];

        // 's 't 're 've 'm 'll 'd
        if (cp == '\'' && pos + 1 < n) {
            int c1 = asciiLower(cps[pos + 1]);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return pos + 2;
            if (pos + 2 < n) {
                int c2 = asciiLower(cps[pos + 2]);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return pos + 3;
            }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+ : one optional leading character that is no newline, letter or digit
        if (cp != '\r' && cp != '\n' && (flags[pos] & CodepointClass.NUMBER) == 0) {
            if ((flags[pos] & wordFlags) != 0 || (pos + 1 < n && (flags[pos + 1] & wordFlags) != 0)) {
                int p = pos + 1;
                while (p < n && (flags[p] & wordFlags) != 0) p++;
                return p;
            }
        }

        // \p{N}
        if ((flags[pos] & CodepointClass.NUMBER) != 0) return pos + 1;

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int first = cp == ' ' ? pos + 1 : pos;
        if (first < n && (flags[first] & notOtherFlags) == 0) {
            int p = first + 1;
            while (p < n && (flags[p] & notOtherFlags) == 0) p++;
            while (p < n && (cps[p] == '\r' || cps[p] == '\n')) p++;
            return p;
        }

        // Whitespace: \s*[\r\n]+ takes the run up to its last newline; \s+(?!\S) leaves the last
        // space to the word that follows; \s+ takes a run that ends the text.
        int run = 0;
        int afterLastNewline = -1;
        while (pos + run < n && (flags[pos + run] & CodepointClass.WHITESPACE) != 0) {
            int c = cps[pos + run];
            run++;
            if (c == '\r' || c == '\n') afterLastNewline = pos + run;
        }
        if (afterLastNewline >= 0) return afterLastNewline;
        if (run > 1 && pos + run < n) return pos + run - 1;
        if (run > 0) return pos + run;

        // Unreachable with the classes above (every code point is a letter, digit, space or other),
        // but a one-character word keeps the scan moving whatever the tables say.
        return pos + 1;
    }

    private static int asciiLower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
}
