package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.qwen4j.ModelFormatException;

/**
 * The token strings of a vocabulary with their declared kinds, and the reverse map from string to
 * id. Checked on construction: no null or duplicate entries, one kind per token. An empty entry is
 * renamed {@code [EMPTY_<id>]}, as llama.cpp does, so that it can neither match text nor collide.
 */
final class Vocabulary {
    private final String[] texts;
    private final TokenType[] declaredTypes;
    private final Map<String, Integer> ids;

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
        ids = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            String text = tokens[id];
            if (text == null) {
                throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "token " + id + " is null");
            }
            if (text.isEmpty()) text = "[EMPTY_" + id + "]";
            Integer earlier = ids.putIfAbsent(text, id);
            if (earlier != null) {
                throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "duplicate token " + quote(text)
                        + " has ids " + earlier + " and " + id);
            }
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
        Integer id = ids.get(text);
        return id == null ? -1 : id;
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
