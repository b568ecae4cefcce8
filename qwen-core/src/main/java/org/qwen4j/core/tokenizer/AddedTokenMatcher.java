package org.qwen4j.core.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the added tokens of a Hugging Face tokenizer in text, the way the {@code tokenizers}
 * library's {@code AddedVocabulary} does:
 *
 * <ul>
 *   <li>matches are leftmost-longest (its Aho-Corasick automaton's {@code LeftmostLongest} mode): the
 *       scan stops at the first position where some token starts and takes the longest token there;</li>
 *   <li>a {@code single_word} token counts only with no word character ({@code \w}) right before or
 *       after it; otherwise its text stays plain text and the scan goes on after it;</li>
 *   <li>an {@code lstrip} token takes the whitespace ({@code \s}) before it, back to the previous match,
 *       and an {@code rstrip} token the whitespace after it, so that whitespace is dropped.</li>
 * </ul>
 *
 * It differs from llama.cpp's splitter ({@link SpecialTokenSplitter}), which applies the longest
 * token first everywhere, only where added tokens overlap one another, which Qwen's do not.
 * {@code \w} and {@code \s} are Unicode's, as in the Rust regex crate those rules are written with.
 * Immutable and thread-safe.
 */
final class AddedTokenMatcher {
    /** Receives the pieces of a text in order: plain text ranges and matched tokens. */
    interface Sink {
        void text(int start, int end);

        void token(int id);
    }

    private final String[] contents;
    private final int[] ids;
    private final boolean[] special;
    private final boolean[] lstrip;
    private final boolean[] rstrip;
    private final boolean[] singleWord;
    /** Candidate indexes by the first char of their content, longest first. */
    private final Map<Character, int[]> byFirstChar = new HashMap<>();
    /** A bit per char value: whether some token starts with it; rejects most chars without a map look-up. */
    private final long[] isFirstChar = new long[(Character.MAX_VALUE + 1) / 64];

    /**
     * @param tokens the added tokens to look for, each with its options
     */
    AddedTokenMatcher(List<AddedToken> tokens) {
        int n = tokens.size();
        contents = new String[n];
        ids = new int[n];
        special = new boolean[n];
        lstrip = new boolean[n];
        rstrip = new boolean[n];
        singleWord = new boolean[n];
        Map<Character, List<Integer>> groups = new HashMap<>();
        for (int i = 0; i < n; i++) {
            AddedToken t = tokens.get(i);
            contents[i] = t.content();
            ids[i] = t.id();
            special[i] = t.special();
            lstrip[i] = t.lstrip();
            rstrip[i] = t.rstrip();
            singleWord[i] = t.singleWord();
            char first = t.content().charAt(0);
            groups.computeIfAbsent(first, k -> new ArrayList<>()).add(i);
            isFirstChar[first >>> 6] |= 1L << first;
        }
        groups.forEach((ch, list) -> {
            list.sort(Comparator.<Integer>comparingInt(i -> contents[i].length()).reversed().thenComparingInt(i -> ids[i]));
            byFirstChar.put(ch, list.stream().mapToInt(Integer::intValue).toArray());
        });
    }

    /**
     * One added token with the options that change how it is matched.
     *
     * @param special whether it is a special token, matched only when special tokens are parsed
     */
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean singleWord) {
    }

    boolean isEmpty() {
        return contents.length == 0;
    }

    /** Cuts {@code text} into plain ranges and tokens; special tokens are looked for only with {@code parseSpecial}. */
    void split(String text, boolean parseSpecial, Sink sink) {
        int n = text.length();
        int consumed = 0;
        int i = 0;
        while (i < n) {
            int c = longestAt(text, i, parseSpecial);
            if (c < 0) {
                i++;
                continue;
            }
            int start = i;
            int stop = i + contents[c].length();
            if (singleWord[c] && (endsWithWordChar(text, start) || startsWithWordChar(text, stop))) {
                i = stop;
                continue;
            }
            if (lstrip[c]) start = Math.max(consumed, whitespaceStartBefore(text, start));
            if (rstrip[c]) stop = whitespaceEndAfter(text, stop);
            if (consumed < start) sink.text(consumed, start);
            sink.token(ids[c]);
            consumed = stop;
            i = stop;
        }
        if (consumed < n) sink.text(consumed, n);
    }

    private int longestAt(String text, int at, boolean parseSpecial) {
        char first = text.charAt(at);
        if ((isFirstChar[first >>> 6] & 1L << first) == 0) return -1;
        int[] candidates = byFirstChar.get(first);
        for (int c : candidates) {
            if ((parseSpecial || !special[c]) && text.startsWith(contents[c], at)) return c;
        }
        return -1;
    }

    private static boolean endsWithWordChar(String text, int end) {
        return end > 0 && isWordChar(text.codePointBefore(end));
    }

    private static boolean startsWithWordChar(String text, int start) {
        return start < text.length() && isWordChar(text.codePointAt(start));
    }

    private static int whitespaceStartBefore(String text, int end) {
        int i = end;
        while (i > 0) {
            int cp = text.codePointBefore(i);
            if ((CodepointClass.of(cp) & CodepointClass.WHITESPACE) == 0) break;
            i -= Character.charCount(cp);
        }
        return i;
    }

    private static int whitespaceEndAfter(String text, int start) {
        int i = start;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if ((CodepointClass.of(cp) & CodepointClass.WHITESPACE) == 0) break;
            i += Character.charCount(cp);
        }
        return i;
    }

    /** Unicode's {@code \w} (UTS #18): alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) return true;
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> cp == 0x200C || cp == 0x200D;
        };
    }
}
