package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.core.tokenizer.GgufTokenizerProvider;
import org.qwen4j.core.tokenizer.TokenizerJsonProvider;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * A Hugging Face fixture folder opens as the same model as its F32 GGUF twin: the same tensors under
 * the same names, byte for byte, and the same hyper-parameter and tokenizer keys.
 */
class HfCheckpointFormatTest {
    private final HfCheckpointFormat hf = new HfCheckpointFormat();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3", "tiny-qwen2-yarn"})
    void everyTensorEqualsItsGgufTwinByteForByte(String model) {
        try (ModelSource folder = hf.open(HfFixtures.folder(model));
             ModelSource gguf = new GgufModelFormat().open(HfFixtures.f32Gguf(model))) {
            assertEquals(new TreeSet<>(gguf.tensors().keySet()), new TreeSet<>(folder.tensors().keySet()));
            for (Tensor expected : gguf.tensors().values()) {
                Tensor actual = folder.tensor(expected.name());
                assertEquals(expected.format().name(), actual.format().name(), expected.name());
                assertArrayEquals(expected.shape(), actual.shape(), expected.name());
                assertEquals(-1, expected.data().mismatch(actual.data()), expected.name() + " differs");
                assertTrue(actual.data().isMapped(), expected.name() + " is a view of the mapped file");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3", "tiny-qwen2-yarn"})
    void hyperParametersEqualTheGgufKeysTheArchitectureReads(String model) {
        try (ModelSource folder = hf.open(HfFixtures.folder(model));
             ModelSource gguf = new GgufModelFormat().open(HfFixtures.f32Gguf(model))) {
            Metadata expected = gguf.metadata();
            Metadata actual = folder.metadata();
            String arch = expected.getString("general.architecture");
            assertEquals(arch, actual.getString("general.architecture"));
            assertEquals(archKeys(expected, arch), archKeys(actual, arch), "the same <arch>.* keys");
            for (String key : archKeys(expected, arch)) {
                assertEquals(expected.get(key), actual.get(key), key);
            }
        }
    }

    private static Set<String> archKeys(Metadata md, String arch) {
        Set<String> keys = new TreeSet<>();
        for (String k : md.keys()) if (k.startsWith(arch + ".")) keys.add(k);
        return keys;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-qwen2", "tiny-qwen3"})
    void tokenizerKeysEqualTheGgufTwins(String model) {
        try (ModelSource folder = hf.open(HfFixtures.folder(model));
             ModelSource gguf = new GgufModelFormat().open(HfFixtures.f32Gguf(model))) {
            Metadata expected = gguf.metadata();
            Metadata actual = folder.metadata();
            for (String key : new String[] {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template"}) {
                assertEquals(expected.getString(key), actual.getString(key), key);
            }
            assertArrayEquals(expected.getStringArray("tokenizer.ggml.tokens"), actual.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(expected.getLongArray("tokenizer.ggml.token_type"), actual.getLongArray("tokenizer.ggml.token_type"));
            assertArrayEquals(expected.getStringArray("tokenizer.ggml.merges"), actual.getStringArray("tokenizer.ggml.merges"));
            assertEquals(expected.getLong("tokenizer.ggml.bos_token_id"), actual.getLong("tokenizer.ggml.bos_token_id"));
            assertEquals(expected.getLong("tokenizer.ggml.padding_token_id"), actual.getLong("tokenizer.ggml.padding_token_id"));
            assertEquals(expected.getBoolean("tokenizer.ggml.add_bos_token", true),
                    actual.getBoolean("tokenizer.ggml.add_bos_token", true));
        }
    }

    @Test
    void theEosTokenIsTheOneTokenizerConfigNamesAsLlamaCppsConverterReadsIt() {
        // tokenizer_config.json says "<|im_end|>" (4098); the GGUF fixture, written from llama.cpp's
        // vocabulary file rather than converted, keeps <|endoftext|> (4096). Both end a generation.
        try (ModelSource folder = hf.open(HfFixtures.folder("tiny-qwen2"))) {
            assertEquals(4098, folder.metadata().getLong("tokenizer.ggml.eos_token_id"));
        }
    }

    @Test
    void generationConfigGivesSamplingDefaultsAndEveryEosId() {
        try (ModelSource folder = hf.open(HfFixtures.folder("tiny-qwen2"))) {
            Metadata md = folder.metadata();
            assertEquals(true, md.getBoolean(HfGenerationConfig.DO_SAMPLE, false));
            assertEquals(0.7, md.getDouble(HfGenerationConfig.TEMPERATURE));
            assertEquals(0.8, md.getDouble(HfGenerationConfig.TOP_P));
            assertEquals(20, md.getLong(HfGenerationConfig.TOP_K));
            assertEquals(1.05, md.getDouble(HfGenerationConfig.REPETITION_PENALTY));
            assertArrayEquals(new long[] {4098, 4096}, md.getLongArray(HfGenerationConfig.EOS_TOKEN_IDS));
            assertFalse(md.has(HfGenerationConfig.MIN_P), "keys exist only for fields the file has");
        }
    }

    @Test
    void aSingleEosIdBecomesAOneElementList(@TempDir Path dir) {
        Path copy = HfFixtures.copy("tiny-qwen2", dir);
        HfFixtures.editJson(copy.resolve("generation_config.json"), g -> g.put("eos_token_id", 4098));
        try (ModelSource folder = hf.open(copy)) {
            assertArrayEquals(new long[] {4098}, folder.metadata().getLongArray(HfGenerationConfig.EOS_TOKEN_IDS));
        }
    }

    @Test
    void theTokenizerJsonProviderOutranksTheGgufOneForFolders() {
        try (ModelSource folder = hf.open(HfFixtures.folder("tiny-qwen2"))) {
            TokenizerJsonProvider json = new TokenizerJsonProvider();
            GgufTokenizerProvider gguf = new GgufTokenizerProvider();
            assertTrue(json.supports(folder));
            assertTrue(json.priority() > gguf.priority());
        }
    }

    @Test
    void aTiedCheckpointHasNoOutputTensorAndAnUntiedOneHasIt() {
        try (ModelSource tied = hf.open(HfFixtures.folder("tiny-qwen2"));
             ModelSource untied = hf.open(HfFixtures.folder("tiny-qwen2-untied"))) {
            assertFalse(tied.findTensor("output.weight").isPresent());
            assertTrue(untied.findTensor("output.weight").isPresent());
        }
    }

    @Test
    void aTiedCheckpointThatStoresLmHeadAnywayUsesTheEmbeddings(@TempDir Path dir) throws Exception {
        // tiny-qwen2-untied's weights with tie_word_embeddings true: transformers ignores lm_head then.
        Path copy = HfFixtures.copy("tiny-qwen2-untied", dir);
        HfFixtures.editJson(copy.resolve("config.json"), c -> c.put("tie_word_embeddings", true));
        try (ModelSource folder = hf.open(copy)) {
            assertFalse(folder.findTensor("output.weight").isPresent());
            assertFalse(folder.findTensor("lm_head.weight").isPresent());
        }
    }

    @Test
    void folderMetadataNamesTheModelAndItsWeightType() {
        try (ModelSource folder = hf.open(HfFixtures.folder("tiny-qwen3"))) {
            assertEquals("hf", folder.formatName());
            assertEquals("hf", folder.metadata().getString("general.name"));
            assertEquals(0, folder.metadata().getLong("general.file_type"), "F32");
        }
    }

    @Test
    void theProbeRecognisesCheckpointFoldersOnly(@TempDir Path dir) throws Exception {
        assertTrue(hf.canOpen(HfFixtures.folder("tiny-qwen2")));
        assertFalse(hf.canOpen(HfFixtures.f32Gguf("tiny-qwen2")), "a GGUF file");
        assertFalse(hf.canOpen(dir.resolve("missing")), "a path that does not exist");
        Files.copy(HfFixtures.folder("tiny-qwen2").resolve("config.json"), dir.resolve("config.json"));
        assertFalse(hf.canOpen(dir), "config.json without weights");
        Files.delete(dir.resolve("config.json"));
        Files.copy(HfFixtures.folder("tiny-qwen2").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        assertFalse(hf.canOpen(dir), "weights without config.json");
    }

    @Test
    void aFolderWithoutTokenizerFilesOpensWithoutTokenizerKeys(@TempDir Path dir) throws Exception {
        Path copy = HfFixtures.copy("tiny-qwen2", dir);
        Files.delete(copy.resolve("tokenizer.json"));
        try (ModelSource folder = hf.open(copy)) {
            assertFalse(folder.metadata().has("tokenizer.ggml.tokens"));
            assertEquals(2, folder.metadata().getLong("qwen2.block_count"));
        }
    }

    @Test
    void closingTheSourceUnmapsEveryTensor() {
        ModelSource folder = hf.open(HfFixtures.folder("tiny-qwen2"));
        Tensor t = folder.tensor("token_embd.weight");
        folder.close();
        assertThrows(IllegalStateException.class, () -> t.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void expertTensorsOfAMixtureOfExpertsCheckpointGetPerExpertGgufNames() {
        assertEquals("blk.3.ffn_up_exps.7.weight", HfTensorNames.toGguf("model.layers.3.mlp.experts.7.up_proj.weight"));
        assertEquals("blk.0.ffn_gate_inp.weight", HfTensorNames.toGguf("model.layers.0.mlp.gate.weight"));
        assertEquals("blk.1.ffn_down_shexp.weight", HfTensorNames.toGguf("model.layers.1.mlp.shared_expert.down_proj.weight"));
        assertEquals("blk.1.ffn_gate_inp_shexp.weight", HfTensorNames.toGguf("model.layers.1.mlp.shared_expert_gate.weight"));
        assertEquals("blk.2.ffn_gate_up_exps.weight", HfTensorNames.toGguf("model.layers.2.mlp.experts.gate_up_proj"));
        assertEquals("blk.2.ffn_down_exps.weight", HfTensorNames.toGguf("model.layers.2.mlp.experts.down_proj"));
    }

    @Test
    void namesOutsideTheQwenLayoutAreKeptAsTheyAre() {
        assertEquals("visual.blocks.0.attn.qkv.weight", HfTensorNames.toGguf("visual.blocks.0.attn.qkv.weight"));
        assertEquals("model.layers.0.self_attn.rotary_emb.inv_freq",
                HfTensorNames.toGguf("model.layers.0.self_attn.rotary_emb.inv_freq"));
        assertEquals("blk.12.attn_k.bias", HfTensorNames.toGguf("model.layers.12.self_attn.k_proj.bias"));
    }
}
