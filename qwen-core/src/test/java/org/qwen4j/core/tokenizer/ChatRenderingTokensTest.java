package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The chat renderings of {@code testdata/chat/rendered.json} (system prompts, tool declarations,
 * tool calls, thinking tags) tokenize, with special tokens parsed, to llama.cpp's ids in
 * {@code testdata/chat/token-ids.json}: {@code tiny} for the tiny models' vocabulary here; the
 * {@code full} vocabulary's model is Q8_0, so qwen-examples checks it with qwen-quant present.
 */
class ChatRenderingTokensTest {

    @Test
    void tinyVocabularyTokenizesChatRenderingsAsLlamaCpp() {
        assertChatIds(TokenizerFixtures.modelTokenizer(TokenizerFixtures.TINY_QWEN2), "tiny");
    }

    @Test
    void qwen2VocabularyFileTokenizesChatRenderingsWithoutAddedTokensLikeTheFullVocabulary() {
        // ggml-vocab-qwen2.gguf agrees with the full model up to <|im_end|> (151645); the renderings
        // with tools or thinking use the Qwen2.5/3 added tokens after it, which it lacks.
        int checked = assertChatIds(TokenizerFixtures.tokenizer(TokenizerFixtures.QWEN2_VOCAB), "full", 151_645);
        assertTrue(checked >= 4, checked + " cases");
    }

    /** Checks every case's {@code vocabulary} ids, and that they decode back to the rendered text. */
    static void assertChatIds(GgufTokenizer tokenizer, String vocabulary) {
        int checked = assertChatIds(tokenizer, vocabulary, Integer.MAX_VALUE);
        assertEquals(TokenizerFixtures.json("chat/token-ids.json").get("cases").size(), checked);
    }

    /** Checks the cases whose expected ids are all at most {@code maxId}; returns how many. */
    private static int assertChatIds(GgufTokenizer tokenizer, String vocabulary, int maxId) {
        JsonNode rendered = TokenizerFixtures.json("chat/rendered.json");
        JsonNode cases = TokenizerFixtures.json("chat/token-ids.json").get("cases");
        int checked = 0;
        for (var it = cases.fields(); it.hasNext(); ) {
            var c = it.next();
            String text = rendered.get(c.getKey()).get("rendered").asText();
            int[] expected = TokenizerFixtures.intArray(c.getValue().get(vocabulary));
            if (Arrays.stream(expected).max().orElse(0) > maxId) continue;
            assertArrayEquals(expected, tokenizer.encode(text, true), c.getKey());
            assertEquals(text, tokenizer.decode(expected), c.getKey());
            checked++;
        }
        return checked;
    }
}
