package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A small hand-made byte-level BPE vocabulary for tests that need no file: the 256 byte pieces
 * (ids 0 to 255 in byte order), then whatever merges and added tokens a test declares.
 */
final class TestVocabulary {
    static final Path FILE = Path.of("hand-made.gguf");

    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private final Map<SpecialTokenRole, Integer> specialIds = new EnumMap<>(SpecialTokenRole.class);
    private String preTokenizer = "qwen2";

    private TestVocabulary() {
        for (int b = 0; b < 256; b++) add(String.valueOf(ByteLevelAlphabet.charOf(b)), TokenType.NORMAL);
    }

    static TestVocabulary bytesOnly() {
        return new TestVocabulary();
    }

    /** Adds the merge {@code left right} (pieces in the byte alphabet) and, if new, its result as a normal token. */
    TestVocabulary merge(String left, String right) {
        merges.add(left + " " + right);
        if (!tokens.contains(left + right)) add(left + right, TokenType.NORMAL);
        return this;
    }

    TestVocabulary token(String text, TokenType type) {
        add(text, type);
        return this;
    }

    TestVocabulary role(SpecialTokenRole role, String text) {
        specialIds.put(role, id(text));
        return this;
    }

    TestVocabulary preTokenizer(String name) {
        preTokenizer = name;
        return this;
    }

    int id(String text) {
        int id = tokens.indexOf(text);
        if (id < 0) throw new IllegalArgumentException(text + " is not in the test vocabulary");
        return id;
    }

    /** The id of a one-byte piece. */
    static int byteId(int b) {
        return b & 0xFF;
    }

    GgufTokenizer build() {
        return new GgufTokenizer(FILE, tokens.toArray(String[]::new), types.stream().mapToInt(Integer::intValue).toArray(),
                merges.toArray(String[]::new), preTokenizer, specialIds);
    }

    String[] tokens() {
        return tokens.toArray(String[]::new);
    }

    long[] typeCodes() {
        return types.stream().mapToLong(Integer::longValue).toArray();
    }

    String[] merges() {
        return merges.toArray(String[]::new);
    }

    private void add(String text, TokenType type) {
        tokens.add(text);
        types.add(type.code());
    }
}
