package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.TextDecoder;
import org.qwen4j.Tokenizer;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.core.tokenizer.GgufTokenizer;
import org.qwen4j.core.tokenizer.HfTokenizer;
import org.qwen4j.core.tokenizer.HfTokenizerMetadataKeys;
import org.qwen4j.spi.ModelSource;

/**
 * The tokenizer.json tokenizer gives llama.cpp's ids wherever Hugging Face and llama.cpp agree (the
 * vocabulary tests, the fixture prompts, the chat renderings) and Hugging Face's where they differ
 * (NFC normalization, added-token options).
 */
class TokenizerJsonTokenizerTest {

    @TestFactory
    Stream<DynamicTest> theQwen2VocabularyTextsEncodeToLlamaCppsIds() {
        List<String> texts = HfTokenizers.vocabTestTexts(HfTokenizers.QWEN2_GGUF + ".inp");
        List<int[]> ids = HfTokenizers.vocabTestIds(HfTokenizers.QWEN2_GGUF + ".out");
        assertEquals(46, texts.size());
        HfTokenizer tok = HfTokenizers.full();
        return IntStream.range(0, texts.size()).mapToObj(i -> DynamicTest.dynamicTest("#" + i, () -> {
            assertArrayEquals(ids.get(i), tok.encode(texts.get(i)), "text #" + i);
            assertArrayEquals(ids.get(i), tok.encode(texts.get(i), true), "text #" + i + " with special tokens parsed");
            assertEquals(texts.get(i), tok.decode(ids.get(i)), "decoding #" + i);
        }));
    }

    @Test
    void theFixturePromptsEncodeToLlamaCppsPromptIds() {
        JsonNode index = HfTokenizers.json("index.json");
        HfTokenizer tok = HfTokenizers.tiny();
        GgufTokenizer gguf = HfTokenizers.gguf("models/tiny-qwen2/tiny-qwen2-f32.gguf");
        JsonNode greedy = null;
        for (JsonNode m : index.get("models")) if (m.get("name").asText().equals("tiny-qwen2")) greedy = m.get("greedy").get("f32");
        for (int i = 0; i < index.get("prompts").size(); i++) {
            String prompt = index.get("prompts").get(i).asText();
            int[] expected = HfTokenizers.ints(greedy.get(i).get("prompt_ids"));
            assertArrayEquals(expected, tok.encode(prompt, true), "prompt " + i);
            assertArrayEquals(gguf.encode(prompt, true), tok.encode(prompt, true), "prompt " + i + " as the GGUF tokenizer");
            assertEquals(prompt, tok.decode(expected));
        }
    }

    @Test
    void theChatRenderingsEncodeToLlamaCppsIdsWithTheTinyAndTheFullVocabulary() {
        JsonNode rendered = HfTokenizers.json("chat/rendered.json");
        JsonNode cases = HfTokenizers.json("chat/token-ids.json").get("cases");
        int checked = 0;
        for (var it = cases.fields(); it.hasNext(); ) {
            var c = it.next();
            String text = rendered.get(c.getKey()).get("rendered").asText();
            assertArrayEquals(HfTokenizers.ints(c.getValue().get("tiny")), HfTokenizers.tiny().encode(text, true), c.getKey());
            assertArrayEquals(HfTokenizers.ints(c.getValue().get("full")), HfTokenizers.full().encode(text, true), c.getKey());
            assertEquals(text, HfTokenizers.full().decode(HfTokenizers.ints(c.getValue().get("full"))), c.getKey());
            checked++;
        }
        assertEquals(rendered.size(), checked);
    }

    @Test
    void decomposedAccentsAreComposedFirstAsHuggingFaceDoesAndLlamaCppDoesNot() {
        HfTokenizer hf = HfTokenizers.full();
        GgufTokenizer llama = HfTokenizers.gguf(HfTokenizers.QWEN2_GGUF);
        // The tokenizer README's cases: Hugging Face's ids, then llama.cpp's.
        assertArrayEquals(new int[] {42611, 1242, 963}, hf.encode("re\u0301sume\u0301"));
        assertArrayEquals(new int[] {265, 53839, 31323, 53839}, llama.encode("re\u0301sume\u0301"));
        assertArrayEquals(new int[] {963}, hf.encode("e\u0301"));
        assertArrayEquals(new int[] {68, 53839}, llama.encode("e\u0301"));
        assertArrayEquals(new int[] {79252}, hf.encode(" \u212B"), "the Angstrom sign becomes Å");
        assertArrayEquals(new int[] {28653, 104}, llama.encode(" \u212B"));
    }

    @Test
    void compatibilityCharactersAreLeftAloneByNfcAsByLlamaCpp() {
        HfTokenizer hf = HfTokenizers.full();
        GgufTokenizer llama = HfTokenizers.gguf(HfTokenizers.QWEN2_GGUF);
        for (String text : List.of("ｆｕｌｌ ｗｉｄｔｈ", "ﬁne ﬂow", "x² ① Ⅻ")) {
            assertArrayEquals(llama.encode(text), hf.encode(text), text);
        }
    }

    @Test
    void theQwen35PatternIsRecognisedAndSplitsNormalizedText(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("qwen35"));
        String json = Files.readString(TestData.resolve(HfTokenizers.FULL + "/tokenizer.json"));
        String qwen2 = HfFixtures.JSON.writeValueAsString(TokenizerJsonReader.QWEN2_PATTERN);
        String qwen35 = HfFixtures.JSON.writeValueAsString(TokenizerJsonReader.QWEN35_PATTERN);
        assertTrue(json.contains(qwen2));
        Files.writeString(folder.resolve("tokenizer.json"), json.replace(qwen2, qwen35));
        assertEquals("qwen35", TokenizerJsonReader.read(folder, null, null).get("tokenizer.ggml.pre"));

        HfTokenizer hf = HfTokenizers.build(folder);
        GgufTokenizer llama = HfTokenizers.gguf(HfTokenizers.QWEN35_GGUF);
        List<String> texts = HfTokenizers.vocabTestTexts(HfTokenizers.QWEN35_GGUF + ".inp");
        List<int[]> llamaIds = HfTokenizers.vocabTestIds(HfTokenizers.QWEN35_GGUF + ".out");
        assertEquals(50, texts.size());
        int changedByNfc = 0;
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
            assertArrayEquals(llama.encode(nfc), hf.encode(text), "text #" + i + " reads as its NFC form");
            if (nfc.equals(text)) {
                assertArrayEquals(llamaIds.get(i), hf.encode(text), "text #" + i);
            } else {
                assertFalse(Arrays.equals(llamaIds.get(i), hf.encode(text)), "text #" + i + " differs from llama.cpp");
                changedByNfc++;
            }
        }
        assertTrue(changedByNfc >= 3, changedByNfc + " texts are changed by NFC");
    }

    @Test
    void nonSpecialAddedTokensAreMatchedEvenWithoutParsingSpecialTokens() {
        HfTokenizer tok = HfTokenizers.tiny();
        assertArrayEquals(new int[] {4110}, tok.encode("<tool_call>", false));
        assertArrayEquals(new int[] {4112}, tok.encode("<|fim_prefix|>", false), "special: false in tokenizer.json");
        assertTrue(tok.encode("<|im_start|>", false).length > 1, "a special token stays text");
        assertArrayEquals(new int[] {4097}, tok.encode("<|im_start|>", true));
    }

    @Test
    void ordinaryPiecesThatLlamaCppPromotesToControlTokensStayOrdinaryText() {
        // "</s>" is an ordinary Qwen vocabulary entry; llama.cpp makes it a control token by its text.
        HfTokenizer hf = HfTokenizers.full();
        GgufTokenizer llama = HfTokenizers.gguf(HfTokenizers.QWEN2_GGUF);
        assertArrayEquals(new int[] {128247}, llama.encode("</s>", true));
        assertArrayEquals(hf.encode("</s>", false), hf.encode("</s>", true));
        assertNotEquals(1, hf.encode("</s>", true).length);
    }

    @Test
    void lstripAndRstripTokensSwallowTheWhitespaceAroundThem(@TempDir Path dir) {
        Path folder = tinyWithAddedTokenOptions(dir, 4110, t -> t.put("lstrip", true).put("rstrip", true));
        HfTokenizer tok = HfTokenizers.build(folder);
        int[] expected = concat(tok.encode("a"), new int[] {4110}, tok.encode("b"));
        assertArrayEquals(expected, tok.encode("a \t<tool_call>\n  b"));
        assertArrayEquals(concat(tok.encode("a "), new int[] {4111}, tok.encode(" b")), tok.encode("a </tool_call> b"),
                "other tokens keep their whitespace");
    }

    @Test
    void singleWordTokensMatchOnlyBetweenNonWordCharacters(@TempDir Path dir) {
        Path folder = tinyWithAddedTokenOptions(dir, 4120, t -> t.put("single_word", true));
        HfTokenizer tok = HfTokenizers.build(folder);
        assertFalse(contains(tok.encode("x<think>"), 4120), "a letter before it");
        assertFalse(contains(tok.encode("<think>9"), 4120), "a digit after it");
        assertTrue(contains(tok.encode("x <think>."), 4120));
        assertTrue(contains(tok.encode("<think>"), 4120));
    }

    @Test
    void addedTokensMarkedNormalizedMatchTheNormalizedText(@TempDir Path dir) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("tokenizer.json"), t -> {
            ArrayNode added = (ArrayNode) t.get("added_tokens");
            added.addObject().put("id", 4122).put("content", "café").put("special", false).put("normalized", true);
            added.addObject().put("id", 4123).put("content", "naïve").put("special", false).put("normalized", false);
        });
        HfTokenizer tok = HfTokenizers.build(folder);
        assertArrayEquals(new int[] {4122}, tok.encode("cafe\u0301"), "matched after NFC");
        assertArrayEquals(new int[] {4123}, tok.encode("naïve"));
        assertFalse(contains(tok.encode("nai\u0308ve"), 4123), "a raw-text token does not see the normalized text");
    }

    @Test
    void streamingDecodeGivesTheWholeText() {
        HfTokenizer tok = HfTokenizers.full();
        String text = "通义千问 🦙 e\u0301 <think>";
        int[] ids = tok.encode(text, true);
        TextDecoder d = tok.newDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.append(id));
        sb.append(d.flush());
        assertEquals(tok.decode(ids), sb.toString());
        assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), sb.toString());
    }

    @Test
    void generationConfigEosIdsEndAGeneration() {
        try (ModelSource source = new HfCheckpointFormat().open(HfFixtures.folder("tiny-qwen2"))) {
            Tokenizer tok = new org.qwen4j.core.tokenizer.TokenizerJsonProvider().create(source);
            assertTrue(tok.isEndOfGeneration(4098));
            assertTrue(tok.isEndOfGeneration(4096));
            assertFalse(tok.isEndOfGeneration(4097));
            assertEquals(4098, tok.eosId());
            assertEquals("NFC", source.metadata().getString(HfTokenizerMetadataKeys.NORMALIZER));
        }
    }

    private static Path tinyWithAddedTokenOptions(Path dir, int id, java.util.function.Consumer<ObjectNode> options) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("tokenizer.json"), t -> {
            for (JsonNode a : t.get("added_tokens")) if (a.get("id").asInt() == id) options.accept((ObjectNode) a);
        });
        return folder;
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(i -> i == id);
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
