package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
 * A checkpoint folder whose config.json or generation_config.json is malformed, or disagrees with
 * its weights, is refused with a {@link ModelFormatException} naming the file and the key.
 */
class MalformedConfigTest {
    @TempDir
    Path dir;

    private static Arguments config(String what, String field, Consumer<ObjectNode> edit) {
        return Arguments.of(what, field, edit);
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                config("unknown architecture", "architectures", c -> c.putArray("architectures").add("LlamaForCausalLM")),
                config("no architecture at all", "architectures", c -> {
                    c.remove("architectures");
                    c.remove("model_type");
                }),
                config("unknown model type", "model_type", c -> {
                    c.remove("architectures");
                    c.put("model_type", "bert");
                }),
                config("hidden size as a string", "hidden_size", c -> c.put("hidden_size", "64")),
                config("fractional hidden size", "hidden_size", c -> c.put("hidden_size", 64.5)),
                config("negative layer count", "num_hidden_layers", c -> c.put("num_hidden_layers", -2)),
                config("missing head count", "num_attention_heads", c -> c.remove("num_attention_heads")),
                config("null head count", "num_attention_heads", c -> c.putNull("num_attention_heads")),
                config("KV heads that do not divide the heads", "num_key_value_heads", c -> c.put("num_key_value_heads", 3)),
                config("more KV heads than heads", "num_key_value_heads", c -> c.put("num_key_value_heads", 8)),
                config("heads that do not divide the width without head_dim", "head_dim", c -> c.put("num_attention_heads", 5)
                        .put("num_key_value_heads", 5)),
                config("missing context length", "max_position_embeddings", c -> c.remove("max_position_embeddings")),
                config("missing FFN width", "intermediate_size", c -> c.remove("intermediate_size")),
                config("zero RMS epsilon", "rms_norm_eps", c -> c.put("rms_norm_eps", 0)),
                config("negative RoPE base", "rope_theta", c -> c.put("rope_theta", -1.0)),
                config("unknown RoPE scaling", "rope_scaling.rope_type", c -> c.putObject("rope_scaling")
                        .put("rope_type", "dynamic").put("factor", 2.0)),
                config("YaRN without its original context", "rope_scaling.original_max_position_embeddings",
                        c -> c.putObject("rope_scaling").put("type", "yarn").put("factor", 4.0)),
                config("a scaling factor without a type", "rope_scaling.rope_type", c -> c.putObject("rope_scaling").put("factor", 4.0)),
                config("rope_scaling that is not an object", "rope_scaling", c -> c.put("rope_scaling", "yarn")),
                config("an activation other than SiLU", "hidden_act", c -> c.put("hidden_act", "gelu")),
                config("tie_word_embeddings as a string", "tie_word_embeddings", c -> c.put("tie_word_embeddings", "yes")),
                config("a vocabulary size the embeddings do not have", "vocab_size", c -> c.put("vocab_size", 5000)),
                config("an eos id outside the vocabulary", "eos_token_id", c -> c.put("eos_token_id", 99999)),
                config("MoE without an expert count", "num_local_experts", c -> c.putArray("architectures").add("Qwen2MoeForCausalLM")),
                config("more experts used than exist", "num_experts_per_tok", c -> {
                    c.putArray("architectures").add("Qwen3MoeForCausalLM");
                    c.put("num_experts", 4).put("num_experts_per_tok", 5);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void aMalformedConfigIsRefusedNamingTheKey(String what, String field, Consumer<ObjectNode> edit) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("config.json"), edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("config.json"), e.file(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    static Stream<Arguments> badGenerationConfigs() {
        return Stream.of(
                config("temperature as a string", "temperature", g -> g.put("temperature", "hot")),
                config("negative temperature", "temperature", g -> g.put("temperature", -1.0)),
                config("top_p above one", "top_p", g -> g.put("top_p", 1.5)),
                config("fractional top_k", "top_k", g -> g.put("top_k", 2.5)),
                config("do_sample as a number", "do_sample", g -> g.put("do_sample", 1)),
                config("an eos id outside the vocabulary", "eos_token_id[1]", g -> g.putArray("eos_token_id").add(4098).add(5000)),
                config("an eos id that is not a number", "eos_token_id[0]", g -> g.putArray("eos_token_id").add("<|im_end|>")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badGenerationConfigs")
    void aMalformedGenerationConfigIsRefusedNamingTheKey(String what, String field, Consumer<ObjectNode> edit) {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("generation_config.json"), edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("generation_config.json"), e.file(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    @Test
    void aConfigThatIsNotJsonIsRefused() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.write(folder.resolve("config.json"), "{\"hidden_size\": 64,");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("config.json"), e.file());
    }

    @Test
    void aConfigWithADuplicateKeyIsRefused() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.write(folder.resolve("config.json"), "{\"hidden_size\": 64, \"hidden_size\": 32}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("config.json"), e.file());
    }

    @Test
    void aConfigThatIsAnArrayIsRefused() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.write(folder.resolve("config.json"), "[]");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals(folder.resolve("config.json"), e.file());
    }

    @Test
    void anUntiedConfigWithoutLmHeadIsRefused() {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(folder.resolve("config.json"), c -> c.put("tie_word_embeddings", false));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(folder));
        assertEquals("lm_head.weight", e.field(), e.getMessage());
    }

    @Test
    void aFolderThatIsNotACheckpointIsRefused() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new HfCheckpointFormat().open(dir));
        assertEquals(dir, e.file());
    }
}
