package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's own tokenizer tests ({@code models/ggml-vocab-*.gguf.inp/.out}): every text must
 * encode to the ids llama.cpp produced and decode back to itself.
 */
class LlamaCppVocabularyTest {

    @TestFactory
    Stream<DynamicTest> qwen2TextsEncodeToLlamaCppIds() {
        return encodeCases(TokenizerFixtures.QWEN2_VOCAB, 46);
    }

    @TestFactory
    Stream<DynamicTest> qwen2IdsDecodeToTheirTexts() {
        return decodeCases(TokenizerFixtures.QWEN2_VOCAB, 46);
    }

    @TestFactory
    Stream<DynamicTest> qwen35TextsEncodeToLlamaCppIds() {
        return encodeCases(TokenizerFixtures.QWEN35_VOCAB, 50);
    }

    @TestFactory
    Stream<DynamicTest> qwen35IdsDecodeToTheirTexts() {
        return decodeCases(TokenizerFixtures.QWEN35_VOCAB, 50);
    }

    private static Stream<DynamicTest> encodeCases(String vocab, int expectedCases) {
        List<Case> cases = cases(vocab, expectedCases);
        GgufTokenizer tokenizer = TokenizerFixtures.tokenizer(vocab);
        return cases.stream().flatMap(c -> Stream.of(
                DynamicTest.dynamicTest("#" + c.index + " " + c.label(), () ->
                        assertArrayEquals(c.ids, tokenizer.encode(c.text), () -> "text " + c.label())),
                // None of the texts holds special-token text, so parsing it must change nothing.
                DynamicTest.dynamicTest("#" + c.index + " with special tokens parsed", () ->
                        assertArrayEquals(c.ids, tokenizer.encode(c.text, true), () -> "text " + c.label()))));
    }

    private static Stream<DynamicTest> decodeCases(String vocab, int expectedCases) {
        List<Case> cases = cases(vocab, expectedCases);
        GgufTokenizer tokenizer = TokenizerFixtures.tokenizer(vocab);
        return cases.stream().map(c -> DynamicTest.dynamicTest("#" + c.index + " " + c.label(), () ->
                assertEquals(c.text, tokenizer.decode(c.ids))));
    }

    private static List<Case> cases(String vocab, int expectedCases) {
        List<String> texts = TokenizerFixtures.vocabTestTexts(vocab + ".inp");
        List<int[]> ids = TokenizerFixtures.vocabTestIds(vocab + ".out");
        assertEquals(expectedCases, texts.size(), "texts in " + vocab + ".inp");
        assertEquals(expectedCases, ids.size(), "lines in " + vocab + ".out");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) cases.add(new Case(i, texts.get(i), ids.get(i)));
        return cases;
    }

    private record Case(int index, String text, int[] ids) {
        String label() {
            String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
            return Vocabulary.quote(shown.replace("\n", "\\n").replace("\t", "\\t"));
        }
    }
}
