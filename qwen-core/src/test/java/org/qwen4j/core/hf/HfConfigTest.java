package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.spi.ModelSource;

/** config.json fields become the GGUF keys llama.cpp's converter writes for them. */
class HfConfigTest {
    @TempDir
    Path dir;

    private Map<String, Object> metadataOf(Consumer<ObjectNode> edit) throws Exception {
        Path file = dir.resolve("config.json");
        Files.copy(HfFixtures.folder("tiny-qwen2").resolve("config.json"), file, StandardCopyOption.REPLACE_EXISTING);
        HfFixtures.editJson(file, edit);
        return HfConfig.read(file).metadata();
    }

    @Test
    void yarnRopeScalingBecomesTheGgufScalingKeys() throws Exception {
        // tiny-qwen2-yarn's rope_scaling, which its GGUF stores as yarn / 4 / 64.
        Map<String, Object> md = metadataOf(c -> {
            c.put("rope_theta", 10000.0);
            ObjectNode s = c.putObject("rope_scaling");
            s.put("rope_type", "yarn").put("type", "yarn").put("factor", 4.0).put("original_max_position_embeddings", 64);
        });
        assertEquals("yarn", md.get("qwen2.rope.scaling.type"));
        assertEquals(4.0, md.get("qwen2.rope.scaling.factor"));
        assertEquals(64L, md.get("qwen2.rope.scaling.original_context_length"));
        assertEquals(10000.0, md.get("qwen2.rope.freq_base"));
        assertFalse(md.containsKey("qwen2.rope.scaling.yarn_beta_fast"), "only fields the config has");
    }

    @Test
    void yarnParametersTheConfigGivesAreKept() throws Exception {
        Map<String, Object> md = metadataOf(c -> c.putObject("rope_scaling").put("type", "yarn").put("factor", 2)
                .put("original_max_position_embeddings", 32768).put("beta_fast", 16).put("beta_slow", 2)
                .put("attention_factor", 1.5));
        assertEquals(16.0, md.get("qwen2.rope.scaling.yarn_beta_fast"));
        assertEquals(2.0, md.get("qwen2.rope.scaling.yarn_beta_slow"));
        assertEquals(1.5, md.get("qwen2.rope.scaling.yarn_attn_factor"));
    }

    @Test
    void linearRopeScalingKeepsItsFactor() throws Exception {
        Map<String, Object> md = metadataOf(c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 2.0));
        assertEquals("linear", md.get("qwen2.rope.scaling.type"));
        assertEquals(2.0, md.get("qwen2.rope.scaling.factor"));
    }

    @Test
    void defaultRopeTypeMeansNoScaling() throws Exception {
        Map<String, Object> md = metadataOf(c -> c.putObject("rope_scaling").put("rope_type", "default"));
        assertFalse(md.containsKey("qwen2.rope.scaling.type"));
    }

    @Test
    void transformersFiveRopeParametersAreReadLikeTheOldFields() throws Exception {
        Map<String, Object> md = metadataOf(c -> {
            c.remove("rope_theta");
            c.remove("rope_scaling");
            c.putObject("rope_parameters").put("rope_type", "yarn").put("rope_theta", 5e5).put("factor", 4.0)
                    .put("original_max_position_embeddings", 4096);
        });
        assertEquals(5e5, md.get("qwen2.rope.freq_base"));
        assertEquals("yarn", md.get("qwen2.rope.scaling.type"));
        assertEquals(4096L, md.get("qwen2.rope.scaling.original_context_length"));
    }

    @Test
    void floatKeysHoldWhatAGgufFloat32FieldWouldHold() throws Exception {
        Map<String, Object> md = metadataOf(c -> c.put("rms_norm_eps", 1e-6));
        assertEquals((double) 1e-6f, md.get("qwen2.attention.layer_norm_rms_epsilon"));
    }

    @Test
    void headDimBecomesKeyAndValueLengthOnlyWhenGiven() throws Exception {
        assertFalse(metadataOf(c -> { }).containsKey("qwen2.attention.key_length"));
        Map<String, Object> md = metadataOf(c -> c.put("head_dim", 32));
        assertEquals(32L, md.get("qwen2.attention.key_length"));
        assertEquals(32L, md.get("qwen2.attention.value_length"));
    }

    @Test
    void theArchitectureComesFromModelTypeWhenArchitecturesIsAbsent() throws Exception {
        Map<String, Object> md = metadataOf(c -> {
            c.remove("architectures");
            c.put("model_type", "qwen3");
        });
        assertEquals("qwen3", md.get("general.architecture"));
        assertEquals(2L, md.get("qwen3.block_count"));
    }

    @Test
    void mixtureOfExpertsFieldsBecomeTheExpertKeys() throws Exception {
        // tiny-qwen2moe's config.json.
        Map<String, Object> md = metadataOf(c -> {
            c.putArray("architectures").add("Qwen2MoeForCausalLM");
            c.put("model_type", "qwen2_moe").put("intermediate_size", 64).put("num_experts", 8)
                    .put("num_experts_per_tok", 2).put("moe_intermediate_size", 32).put("decoder_sparse_step", 1)
                    .put("norm_topk_prob", false).put("shared_expert_intermediate_size", 64);
            c.putArray("mlp_only_layers");
        });
        assertEquals("qwen2moe", md.get("general.architecture"));
        assertEquals(8L, md.get("qwen2moe.expert_count"));
        assertEquals(2L, md.get("qwen2moe.expert_used_count"));
        assertEquals(32L, md.get("qwen2moe.expert_feed_forward_length"));
        assertEquals(64L, md.get("qwen2moe.expert_shared_feed_forward_length"));
        assertEquals(64L, md.get("qwen2moe.feed_forward_length"));
        assertEquals(false, md.get("qwen2moe.expert_weights_norm"));
    }

    @Test
    void aMixtureOfExpertsFolderOpensWithPerExpertTensors() throws Exception {
        // A qwen3moe checkpoint in miniature: 2 experts, hidden 4, vocabulary 8, one layer.
        Path folder = Files.createDirectories(dir.resolve("moe"));
        Files.copy(HfFixtures.folder("tiny-qwen2").resolve("config.json"), folder.resolve("config.json"));
        HfFixtures.editJson(folder.resolve("config.json"), c -> {
            c.putArray("architectures").add("Qwen3MoeForCausalLM");
            c.put("model_type", "qwen3_moe").put("hidden_size", 4).put("num_hidden_layers", 1)
                    .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 2).put("vocab_size", 8)
                    .put("num_experts", 2).put("num_experts_per_tok", 1).put("moe_intermediate_size", 3)
                    .put("norm_topk_prob", true).put("tie_word_embeddings", true)
                    .put("bos_token_id", 7).put("eos_token_id", 7);
            c.remove("intermediate_size");
        });
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {8, 4});
        shapes.put("model.norm.weight", new long[] {4});
        shapes.put("model.layers.0.mlp.gate.weight", new long[] {2, 4});
        for (int e = 0; e < 2; e++) {
            shapes.put("model.layers.0.mlp.experts." + e + ".gate_proj.weight", new long[] {3, 4});
            shapes.put("model.layers.0.mlp.experts." + e + ".up_proj.weight", new long[] {3, 4});
            shapes.put("model.layers.0.mlp.experts." + e + ".down_proj.weight", new long[] {4, 3});
        }
        writeZeros(folder.resolve("model.safetensors"), shapes);
        try (ModelSource source = new HfCheckpointFormat().open(folder)) {
            assertEquals("qwen3moe", source.metadata().getString("general.architecture"));
            assertEquals(true, source.metadata().getBoolean("qwen3moe.expert_weights_norm", false));
            assertFalse(source.metadata().has("qwen3moe.feed_forward_length"));
            assertArrayEquals(new long[] {4, 3}, source.tensor("blk.0.ffn_up_exps.1.weight").shape());
            assertArrayEquals(new long[] {3, 4}, source.tensor("blk.0.ffn_down_exps.0.weight").shape());
            assertTrue(source.findTensor("blk.0.ffn_gate_inp.weight").isPresent());
        }
    }

    /** A safetensors file of F32 zeros with the given row-major shapes. */
    static void writeZeros(Path file, Map<String, long[]> shapes) {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            if (header.length() > 1) header.append(',');
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + 4 * n).append("]}");
            offset += 4 * n;
        }
        header.append('}');
        HfFixtures.safetensors(file, header.toString(), new byte[(int) offset]);
    }
}
