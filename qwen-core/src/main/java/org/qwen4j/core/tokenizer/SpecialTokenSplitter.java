package org.qwen4j.core.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds control and added tokens written in prompt text ({@code <|im_start|>}, {@code <tool_call>} …)
 * and cuts the text around them, before any pre-tokenization, the way llama.cpp's
 * {@code tokenizer_st_partition} does:
 *
 * <ul>
 *   <li>the candidates are the tokens of kind CONTROL, USER_DEFINED and UNKNOWN; without
 *       {@code parseSpecial} only USER_DEFINED ones (added tokens count as text the user may type,
 *       as in Hugging Face tokenizers);</li>
 *   <li>candidates are taken one at a time, longest text first, and each one cuts every text
 *       fragment left by the previous ones at all its non-overlapping occurrences, left to right. A
 *       longer token therefore wins over a shorter one anywhere in the text, not only where both
 *       start at the same place;</li>
 *   <li>the text around a match is kept as it is: llama.cpp strips spaces next to special tokens
 *       only for a few model families it recognises by name (not Qwen).</li>
 * </ul>
 */
final class SpecialTokenSplitter {
    /** Candidates in the order they are applied: longer text first, then lower id. */
    private final int[] candidates;
    private final String[] texts;
    private final boolean[] matchedWithoutParseSpecial;
    /** Candidate indexes (into {@link #candidates}) by the first char of their text. */
    private final Map<Character, int[]> byFirstChar;
    /** A bit per char value: whether some candidate starts with it; rejects most chars without a map look-up. */
    private final long[] isFirstChar = new long[(Character.MAX_VALUE + 1) / 64];

    SpecialTokenSplitter(String[] texts, TokenType[] types) {
        this.texts = texts;
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < types.length; id++) {
            if (types[id].isMatchedInText()) ids.add(id);
        }
        ids.sort(Comparator.<Integer>comparingInt(id -> texts[id].length()).reversed()
                .thenComparingInt(Integer::intValue));
        candidates = ids.stream().mapToInt(Integer::intValue).toArray();
        matchedWithoutParseSpecial = new boolean[candidates.length];
        Map<Character, List<Integer>> groups = new HashMap<>();
        for (int c = 0; c < candidates.length; c++) {
            matchedWithoutParseSpecial[c] = types[candidates[c]] == TokenType.USER_DEFINED;
            char first = texts[candidates[c]].charAt(0);
            groups.computeIfAbsent(first, k -> new ArrayList<>()).add(c);
            isFirstChar[first >>> 6] |= 1L << first;
        }
        byFirstChar = new HashMap<>();
        groups.forEach((ch, list) -> byFirstChar.put(ch, list.stream().mapToInt(Integer::intValue).toArray()));
    }

    /**
     * Cuts {@code text} into fragments: {@code (start, end, -1)} for plain text and
     * {@code (start, end, id)} for a token found in it, as consecutive triples in text order.
     */
    IntList split(String text, boolean parseSpecial) {
        IntList fragments = new IntList(6);
        if (text.isEmpty()) return fragments;
        fragments.add(0);
        fragments.add(text.length());
        fragments.add(-1);
        boolean[] present = candidatesPresent(text, parseSpecial);
        for (int c = 0; c < candidates.length; c++) {
            if (present[c]) fragments = cut(text, fragments, candidates[c]);
        }
        return fragments;
    }

    /**
     * Which candidates occur in the text at all, found in one pass over it: most prompts contain
     * none or a few of the hundreds of special tokens, and each absent one then costs nothing.
     */
    private boolean[] candidatesPresent(String text, boolean parseSpecial) {
        boolean[] present = new boolean[candidates.length];
        for (int i = 0, n = text.length(); i < n; i++) {
            char ch = text.charAt(i);
            if ((isFirstChar[ch >>> 6] & 1L << ch) == 0) continue;
            for (int c : byFirstChar.get(ch)) {
                if (!present[c] && (parseSpecial || matchedWithoutParseSpecial[c])) {
                    String t = texts[candidates[c]];
                    if (text.startsWith(t, i)) present[c] = true;
                }
            }
        }
        return present;
    }

    private IntList cut(String text, IntList fragments, int id) {
        String token = texts[id];
        IntList out = new IntList(fragments.size() + 6);
        for (int f = 0; f < fragments.size(); f += 3) {
            int start = fragments.get(f);
            int end = fragments.get(f + 1);
            int kind = fragments.get(f + 2);
            if (kind >= 0) {
                out.add(start);
                out.add(end);
                out.add(kind);
                continue;
            }
            int pos = start;
            int match;
            while ((match = text.indexOf(token, pos, end)) >= 0) {
                if (match > pos) {
                    out.add(pos);
                    out.add(match);
                    out.add(-1);
                }
                out.add(match);
                out.add(match + token.length());
                out.add(id);
                pos = match + token.length();
            }
            if (pos < end) {
                out.add(pos);
                out.add(end);
                out.add(-1);
            }
        }
        return out;
    }
}
