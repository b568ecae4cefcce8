package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import org.qwen4j.ModelFormatException;

/**
 * The token strings of a vocabulary with their declared kinds, and the reverse map from string to
 * id. Checked on construction: no null or duplicate entries, one kind per token. An empty entry is
 * renamed {@code [EMPTY_<id>]}, as llama.cpp does, so that it can neither match text nor collide.
 *
 * <p>The reverse map is an open-addressing table of ids keyed by {@link String#hashCode()}, because
 * that hash can also be computed over a part of a string: building the merge table looks up both
 * halves of ~150,000 merges and their concatenation, and with a {@code HashMap<String, Integer>}
 * each look-up first had to allocate and hash a new string. Opening a model runs this before the JIT
 * has compiled it, where every allocation and call counts.
 */
final class Vocabulary {
    private static final int EMPTY = -1;

    private final String[] texts;
    private final TokenType[] declaredTypes;
    /** Token ids, or {@link #EMPTY}; at most half full. */
    private final int[] slots;
    private final int mask;
    private final int shift;

    /**
     * @param file        named in error messages; may be null
     * @param tokens      {@code tokenizer.ggml.tokens}
     * @param tokenTypes  {@code tokenizer.ggml.token_type}, or null when the file has none (all NORMAL)
     */
    Vocabulary(Path file, String[] tokens, int[] tokenTypes) {
        if (tokens == null || tokens.length == 0) {
            throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "the vocabulary is empty");
        }
        int n = tokens.length;
        if (tokenTypes != null && tokenTypes.length != n) {
            throw new ModelFormatException(file, TokenizerMetadataKeys.TOKEN_TYPE, "has " + tokenTypes.length
                    + " entries for " + n + " tokens");
        }
        texts = new String[n];
        declaredTypes = new TokenType[n];
        int capacity = Integer.highestOneBit(Math.max(n, 8)) << 2;
        slots = new int[capacity];
        Arrays.fill(slots, EMPTY);
        mask = capacity - 1;
        shift = 32 - Integer.numberOfTrailingZeros(capacity);
        for (int id = 0; id < n; id++) {
            String text = tokens[id];
            if (text == null) {
                throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "token " + id + " is null");
            }
            if (text.isEmpty()) text = "[EMPTY_" + id + "]";
            int slot = slotOf(text.hashCode());
            for (int other; (other = slots[slot]) != EMPTY; slot = (slot + 1) & mask) {
                if (texts[other].equals(text)) {
                    throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "duplicate token " + quote(text)
                            + " has ids " + other + " and " + id);
                }
            }
            slots[slot] = id;
            texts[id] = text;
            if (tokenTypes == null) {
                declaredTypes[id] = TokenType.NORMAL;
            } else {
                TokenType type = TokenType.ofCode(tokenTypes[id]);
                if (type == null) {
                    throw new ModelFormatException(file, TokenizerMetadataKeys.TOKEN_TYPE, "token " + id
                            + " has type " + tokenTypes[id] + ", which is not one of 0 to 6");
                }
                declaredTypes[id] = type;
            }
        }
    }

    int size() {
        return texts.length;
    }

    String text(int id) {
        return texts[id];
    }

    /** The entries, indexed by id; the caller must not modify it. */
    String[] texts() {
        return texts;
    }

    TokenType declaredType(int id) {
        return declaredTypes[id];
    }

    /** The kinds as the file declares them (a copy). */
    TokenType[] declaredTypes() {
        return Arrays.copyOf(declaredTypes, declaredTypes.length);
    }

    /** The id of an entry, or -1. */
    int idOf(String text) {
        return idOf(text, 0, text.length(), text.hashCode());
    }

    /** {@link String#hashCode()} of {@code s[from, to)}, for the look-ups below. */
    static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        return h;
    }

    /** The hash of the concatenation of a string of hash {@code hash1} with one of hash {@code hash2} and length {@code length2}. */
    static int joinedHash(int hash1, int hash2, int length2) {
        int h = hash1;
        for (int i = 0; i < length2; i++) h *= 31;
        return h + hash2;
    }

    /** The id of the entry {@code s[from, to)}, whose {@link #hash} is {@code hash}, or -1. */
    int idOf(String s, int from, int to, int hash) {
        return idOfJoined(s, from, to, to, to, hash);
    }

    /**
     * The id of the entry {@code s[from1, to1) + s[from2, to2)}, whose hash is {@code hash}, or -1:
     * the merged token of a merge line found without building it.
     */
    int idOfJoined(String s, int from1, int to1, int from2, int to2, int hash) {
        int length1 = to1 - from1;
        int length = length1 + to2 - from2;
        for (int slot = slotOf(hash), id; (id = slots[slot]) != EMPTY; slot = (slot + 1) & mask) {
            String t = texts[id];
            if (t.length() == length && t.regionMatches(0, s, from1, length1)
                    && t.regionMatches(length1, s, from2, length - length1)) {
                return id;
            }
        }
        return -1;
    }

    /** Fibonacci hashing: the top bits of the product depend on all bits of the hash. */
    private int slotOf(int hash) {
        return hash * 0x9E37_79B9 >>> shift;
    }

    /** A token's text for an error message: quoted, with control characters escaped. */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\x%02x", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('"').toString();
    }
}
