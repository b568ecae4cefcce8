package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.ModelFormatException;

/**
 * A tokenizer.json (or tokenizer_config.json) that is malformed, or describes a tokenizer other than
 * byte-level BPE with a Qwen pre-tokenizer, is refused with a {@link ModelFormatException} naming the
 * file and the field: a tokenizer that silently gave other ids would be worse.
 */
class MalformedTokenizerJsonTest {
    @TempDir
    Path dir;

    private static Arguments tokenizer(String what, String field, Consumer<ObjectNode> edit) {
        return Arguments.of(what, field, edit);
    }

    private static ObjectNode model(ObjectNode t) {
        return (ObjectNode) t.get("model");
    }

    private static ObjectNode preStep(ObjectNode t, int i) {
        return (ObjectNode) t.get("pre_tokenizer").get("pretokenizers").get(i);
    }

    private static ObjectNode added(ObjectNode t, int i) {
        return (ObjectNode) t.get("added_tokens").get(i);
    }

    static Stream<Arguments> badTokenizers() {
        return Stream.of(
                tokenizer("a WordPiece model", "model.type", t -> model(t).put("type", "WordPiece")),
                tokenizer("a Unigram model", "model.type", t -> model(t).put("type", "Unigram")),
                tokenizer("no model", "model", t -> t.remove("model")),
                tokenizer("BPE dropout", "model.dropout", t -> model(t).put("dropout", 0.1)),
                tokenizer("byte fallback", "model.byte_fallback", t -> model(t).put("byte_fallback", true)),
                tokenizer("ignore_merges", "model.ignore_merges", t -> model(t).put("ignore_merges", true)),
                tokenizer("a subword prefix", "model.continuing_subword_prefix", t -> model(t).put("continuing_subword_prefix", "##")),
                tokenizer("an unknown Split pattern", "pre_tokenizer.pretokenizers[0].pattern.Regex",
                        t -> ((ObjectNode) preStep(t, 0).get("pattern")).put("Regex", "\\s+|\\w+")),
                tokenizer("a String Split pattern", "pre_tokenizer.pretokenizers[0].pattern.Regex",
                        t -> preStep(t, 0).putObject("pattern").put("String", " ")),
                tokenizer("a Split that removes its matches", "pre_tokenizer.pretokenizers[0].behavior",
                        t -> preStep(t, 0).put("behavior", "Removed")),
                tokenizer("a ByteLevel step that adds a prefix space", "pre_tokenizer.pretokenizers[1].add_prefix_space",
                        t -> preStep(t, 1).put("add_prefix_space", true)),
                tokenizer("a lone GPT-2 ByteLevel pre-tokenizer", "pre_tokenizer.type",
                        t -> t.putObject("pre_tokenizer").put("type", "ByteLevel").put("use_regex", true)),
                tokenizer("a Whitespace pre-tokenizer", "pre_tokenizer.type", t -> t.putObject("pre_tokenizer").put("type", "Whitespace")),
                tokenizer("no pre-tokenizer", "pre_tokenizer", t -> t.putNull("pre_tokenizer")),
                tokenizer("a Lowercase normalizer", "normalizer.type", t -> t.putObject("normalizer").put("type", "Lowercase")),
                tokenizer("NFC followed by Lowercase", "normalizer.normalizers[1].type", t -> {
                    ArrayNode steps = t.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
                    steps.addObject().put("type", "NFC");
                    steps.addObject().put("type", "Lowercase");
                }),
                tokenizer("no decoder", "decoder", t -> t.remove("decoder")),
                tokenizer("a WordPiece decoder", "decoder.type", t -> t.putObject("decoder").put("type", "WordPiece")),
                tokenizer("a merge without a space", "model.merges[0]", t -> ((ArrayNode) model(t).get("merges")).set(0, "ĠĠ")),
                tokenizer("a merge of pieces outside the vocabulary", "model.merges[0]",
                        t -> ((ArrayNode) model(t).get("merges")).set(0, "Ġ zzzz")),
                tokenizer("a merge that is a number", "model.merges[0]", t -> ((ArrayNode) model(t).get("merges")).set(0, 7)),
                tokenizer("a merge pair of three", "model.merges[0]", t -> {
                    ArrayNode triple = ((ArrayNode) model(t).get("merges")).insertArray(0);
                    triple.add("a").add("b").add("c");
                }),
                tokenizer("a negative vocabulary id", "model.vocab.!", t -> ((ObjectNode) model(t).get("vocab")).put("!", -1)),
                tokenizer("two tokens with one id", "model.vocab.\"", t -> ((ObjectNode) model(t).get("vocab")).put("\"", 0)),
                tokenizer("an empty vocabulary", "model.vocab", t -> model(t).putObject("vocab")),
                tokenizer("an added token whose id is another vocabulary token", "added_tokens[0].id", t -> added(t, 0).put("id", 5)),
                tokenizer("an added token without content", "added_tokens[0].content", t -> added(t, 0).remove("content")),
                tokenizer("an added token with empty content", "added_tokens[0].content", t -> added(t, 0).put("content", "")),
                tokenizer("two added tokens with one content", "added_tokens[1].content",
                        t -> added(t, 1).put("content", "<|endoftext|>")),
                tokenizer("two added tokens with one id", "added_tokens[1].id", t -> added(t, 1).put("id", 4096)),
                tokenizer("an added token that is a string", "added_tokens[0]", t -> ((ArrayNode) t.get("added_tokens")).set(0, "<x>")),
                tokenizer("a flag that is not a boolean", "added_tokens[0].special", t -> added(t, 0).put("special", "yes")),
                tokenizer("ids that are mostly unnamed", "model.vocab", t -> added(t, 0).put("id", 2_000_000)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokenizers")
    void aMalformedTokenizerJsonIsRefusedNamingTheField(String what, String field, Consumer<ObjectNode> edit) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("tokenizer.json"), edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("tokenizer.json"), e.file(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    static Stream<Arguments> badTokenizerConfigs() {
        return Stream.of(
                tokenizer("an eos token that is a number", "eos_token", c -> c.put("eos_token", 4098)),
                tokenizer("a chat template that is a number", "chat_template", c -> c.put("chat_template", 1)),
                tokenizer("a named template without text", "chat_template[0].template",
                        c -> c.putArray("chat_template").addObject().put("name", "default")),
                tokenizer("add_bos_token as a string", "add_bos_token", c -> c.put("add_bos_token", "no")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokenizerConfigs")
    void aMalformedTokenizerConfigIsRefusedNamingTheField(String what, String field, Consumer<ObjectNode> edit) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("tokenizer_config.json"), edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("tokenizer_config.json"), e.file(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    @Test
    void aTokenizerJsonThatIsNotJsonIsRefused() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.write(folder.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("tokenizer.json"), e.file());
    }

    @Test
    void namedChatTemplatesKeepTheDefaultUnderTheGgufKey() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("tokenizer_config.json"), c -> {
            ArrayNode list = c.putArray("chat_template");
            list.addObject().put("name", "default").put("template", "A");
            list.addObject().put("name", "tool_use").put("template", "B");
        });
        try (var source = new HfCheckpointFormat().open(folder)) {
            assertEquals("A", source.metadata().getString("tokenizer.chat_template"));
            assertEquals("B", source.metadata().getString("tokenizer.chat_template.tool_use"));
        }
    }

    @Test
    void aChatTemplateFileTakesPrecedenceOverTokenizerConfig() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.write(folder.resolve("chat_template.jinja"), "{{ messages }}");
        try (var source = new HfCheckpointFormat().open(folder)) {
            assertEquals("{{ messages }}", source.metadata().getString("tokenizer.chat_template"));
        }
    }
}
