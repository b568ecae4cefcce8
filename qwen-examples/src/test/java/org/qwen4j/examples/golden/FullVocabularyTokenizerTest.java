package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qwen4j.Tokenizer;

/**
 * With the whole 151,936-token Qwen vocabulary (the Q8_0 full-vocabulary model, so qwen-quant must be
 * present), the chat renderings of {@code testdata/chat} tokenize to llama.cpp's {@code full} ids and
 * decode back to their text.
 */
class FullVocabularyTokenizerTest {

    @Test
    void chatRenderingsTokenizeAsLlamaCppWithTheFullVocabulary() throws Exception {
        Tokenizer tok = Models.get(Reference.gguf("fullvocab-qwen2", "q8_0"), "cpu-simd").tokenizer();
        ObjectMapper json = new ObjectMapper();
        JsonNode rendered = json.readTree(Reference.ROOT.resolve("chat/rendered.json").toFile());
        JsonNode cases = json.readTree(Reference.ROOT.resolve("chat/token-ids.json").toFile()).get("cases");
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
            var c = it.next();
            String text = rendered.get(c.getKey()).get("rendered").asText();
            int[] expected = Reference.ints(c.getValue().get("full"));
            assertArrayEquals(expected, tok.encode(text, true), c.getKey());
            assertEquals(text, tok.decode(expected), c.getKey());
            checked++;
        }
        assertEquals(rendered.size(), checked);
    }
}
