package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The prompts of {@code testdata/index.json}: for every model and weight type, {@code prompt_ids}
 * is llama.cpp's tokenization of {@code prompts[i]} with special tokens parsed.
 */
class FixturePromptsTest {

    @Test
    void tinyVocabularyTokenizesEveryFixturePromptAsLlamaCpp() {
        assertPromptIds(TokenizerFixtures.modelTokenizer(TokenizerFixtures.TINY_QWEN2));
    }

    @Test
    void qwen2VocabularyFileTokenizesFixturePromptsLikeTheFullVocabularyModel() {
        // ggml-vocab-qwen2.gguf has the full model's ids up to <|im_end|> (151645), which is all
        // the fixture prompts use; the two files differ only in the Qwen2.5/3 added tokens after it.
        assertPromptIds(TokenizerFixtures.tokenizer(TokenizerFixtures.QWEN2_VOCAB));
    }

    /**
     * Checks the prompt ids of every model whose vocabulary has the tokenizer's size (the tiny
     * models all share one 4,122-token vocabulary), and that they decode back to the prompts.
     */
    static void assertPromptIds(GgufTokenizer tokenizer) {
        JsonNode index = TokenizerFixtures.json("index.json");
        JsonNode prompts = index.get("prompts");
        int checked = 0;
        for (JsonNode model : index.get("models")) {
            if (model.get("n_vocab").intValue() != tokenizer.vocabularySize()) continue;
            String name = model.get("name").asText();
            for (var types = model.get("greedy").fields(); types.hasNext(); ) {
                var type = types.next();
                for (int i = 0; i < type.getValue().size(); i++) {
                    String prompt = prompts.get(i).asText();
                    int[] expected = TokenizerFixtures.intArray(type.getValue().get(i).get("prompt_ids"));
                    String where = name + " " + type.getKey() + " prompt " + i;
                    assertArrayEquals(expected, tokenizer.encode(prompt, true), where);
                    assertEquals(prompt, tokenizer.decode(expected), where);
                    checked++;
                }
            }
        }
        assertTrue(checked >= prompts.size(), "no model in index.json has a vocabulary of " + tokenizer.vocabularySize());
    }
}
