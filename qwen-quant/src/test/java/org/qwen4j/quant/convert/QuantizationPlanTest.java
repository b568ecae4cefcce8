package org.qwen4j.quant.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.qwen4j.core.gguf.GgufTensorInfo;

/** The format llama.cpp's quantizer would give each tensor, for the file types whose formats are installed. */
class QuantizationPlanTest {

    private static QuantizationPlan plan(List<GgufTensorInfo> tensors, FileType type, boolean pure) {
        return QuantizationPlan.create(Fixtures.metadata("qwen2", 2, 0), tensors, type, pure);
    }

    @ParameterizedTest
    @EnumSource(FileType.class)
    void normsAndBiasesStayF32(FileType type) {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, true), type, false);
        for (PlannedTensor t : plan.tensors()) {
            if (t.source().shape().length == 1) assertEquals("F32", t.target().name(), t.name());
        }
    }

    @Test
    void weightMatricesOfAQ8_0FileAreQ8_0TiedEmbeddingIncluded() {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, true), FileType.Q8_0, false);
        for (PlannedTensor t : plan.tensors()) {
            assertEquals(t.source().shape().length == 2 ? "Q8_0" : "F32", t.target().name(), t.name());
        }
        assertEquals(List.of(), plan.fallbacks());
    }

    @Test
    void theTiedEmbeddingOfAQ4_0FileGetsQ8_0WhenItsRowsDoNotDivideIntoQ6_KBlocks() {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, true), FileType.Q4_0, false);
        assertEquals("Q8_0", plan.formatOf("token_embd.weight").name());
        assertEquals("Q4_0", plan.formatOf("blk.0.attn_q.weight").name());
        assertEquals(1, plan.fallbacks().size(), "llama.cpp counts the Q6_K to Q8_0 demotion as a fallback");
        assertTrue(plan.fallbacks().getFirst().startsWith("token_embd.weight"), plan.fallbacks().toString());
    }

    @Test
    void anUntiedModelQuantizesItsOutputMatrixAndLeavesTheEmbeddingAtTheFileType() {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, false), FileType.Q4_0, false);
        assertEquals("Q4_0", plan.formatOf("token_embd.weight").name());
        assertEquals("Q8_0", plan.formatOf("output.weight").name());
    }

    @Test
    void aPurePlanGivesEveryWeightMatrixTheFileTypesFormat() {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, true), FileType.Q4_0, true);
        for (PlannedTensor t : plan.tensors()) {
            assertEquals(t.source().shape().length == 2 ? "Q4_0" : "F32", t.target().name(), t.name());
        }
        assertEquals(List.of(), plan.fallbacks());
    }

    @Test
    void rowsThatDoNotDivideIntoBlocksOf32FallBackToF16() {
        QuantizationPlan plan = plan(Fixtures.qwen2(48, 1, 48, 96, 100, true), FileType.Q8_0, false);
        assertEquals("F16", plan.formatOf("blk.0.attn_q.weight").name());
        assertEquals("Q8_0", plan.formatOf("blk.0.ffn_down.weight").name(), "rows of 96 divide into blocks of 32");
        assertTrue(plan.fallbacks().stream().anyMatch(f -> f.startsWith("blk.0.attn_q.weight")), plan.fallbacks().toString());
    }

    @Test
    void floatFileTypesConvertEveryWeightMatrixAndKeepNormsF32() {
        QuantizationPlan plan = plan(Fixtures.qwen2(64, 2, 32, 128, 4122, true), FileType.BF16, false);
        assertEquals("BF16", plan.formatOf("token_embd.weight").name());
        assertEquals("BF16", plan.formatOf("blk.1.ffn_down.weight").name());
        assertEquals("F32", plan.formatOf("blk.1.ffn_norm.weight").name());
    }

    @Test
    void tensorsComeInLlamaCppsOrderOfLayerThenName() {
        List<String> names = plan(Fixtures.qwen2(64, 2, 32, 128, 100, false), FileType.Q8_0, false).tensors().stream()
                .map(PlannedTensor::name).toList();
        assertEquals(List.of("output.weight", "output_norm.weight", "token_embd.weight",
                "blk.0.attn_k.weight", "blk.0.attn_norm.weight", "blk.0.attn_output.weight", "blk.0.attn_q.bias",
                "blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight",
                "blk.0.ffn_norm.weight", "blk.0.ffn_up.weight"), names.subList(0, 13));
        assertEquals("blk.1.attn_k.weight", names.get(13));
    }

    @Test
    void layerTenSortsAfterLayerTwoAsNumbersNotAsText() {
        List<GgufTensorInfo> tensors = Fixtures.qwen2(32, 11, 32, 32, 10, true);
        List<String> names = plan(tensors, FileType.F32, false).tensors().stream().map(PlannedTensor::name).toList();
        assertTrue(names.indexOf("blk.2.attn_q.weight") < names.indexOf("blk.10.attn_q.weight"));
    }

    @Test
    void modelsWithEightExpertsGetQ8_0ValueAndKeyProjections() {
        QuantizationPlan plan = QuantizationPlan.create(Fixtures.metadata("qwen2moe", 2, 8),
                Fixtures.qwen2(64, 2, 32, 128, 4122, false), FileType.Q4_0, false);
        assertEquals("Q8_0", plan.formatOf("blk.0.attn_v.weight").name());
        assertEquals("Q8_0", plan.formatOf("blk.1.attn_k.weight").name());
        assertEquals("Q4_0", plan.formatOf("blk.1.attn_q.weight").name());
    }

    /** The layers llama.cpp's {@code use_more_bits} picks out of 24: the first and last three, and every third between. */
    private static final List<Integer> MORE_BITS_OF_24 = List.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23);

    @ParameterizedTest
    @EnumSource(value = FileType.class, names = {"Q4_K_M", "Q5_K_M"})
    void mixturesGiveQ6_KToTheValueAndFfnDownMatricesOfTheLayersThatNeedMoreBits(FileType type) {
        QuantizationPlan plan = QuantizationPlan.create(Fixtures.metadata("qwen2", 24, 0),
                Fixtures.qwen2(1024, 24, 256, 2048, 1000, false), type, false);
        for (int layer = 0; layer < 24; layer++) {
            String more = MORE_BITS_OF_24.contains(layer) ? "Q6_K" : type.defaultFormat();
            assertEquals(more, plan.formatOf("blk." + layer + ".attn_v.weight").name(), "attn_v of layer " + layer);
            assertEquals(more, plan.formatOf("blk." + layer + ".ffn_down.weight").name(), "ffn_down of layer " + layer);
            assertEquals(type.defaultFormat(), plan.formatOf("blk." + layer + ".attn_q.weight").name());
            assertEquals(type.defaultFormat(), plan.formatOf("blk." + layer + ".ffn_up.weight").name());
        }
        assertEquals("Q6_K", plan.formatOf("output.weight").name());
        assertEquals(type.defaultFormat(), plan.formatOf("token_embd.weight").name());
    }

    @Test
    void kQuantRowsThatDoNotDivideInto256FallBackAsLlamaCppDoes() {
        // Qwen2.5-0.5B's width: rows of 896 are 3.5 blocks of 256.
        QuantizationPlan q4 = QuantizationPlan.create(Fixtures.metadata("qwen2", 24, 0),
                Fixtures.qwen2(896, 24, 128, 4864, 1000, true), FileType.Q4_K_M, false);
        assertEquals("Q5_0", q4.formatOf("blk.3.attn_q.weight").name());
        assertEquals("Q8_0", q4.formatOf("blk.0.attn_v.weight").name(), "Q6_K falls back to Q8_0");
        assertEquals("Q4_K", q4.formatOf("blk.3.ffn_down.weight").name(), "rows of 4864 are 19 blocks");
        assertEquals("Q6_K", q4.formatOf("blk.0.ffn_down.weight").name());
        assertEquals("Q8_0", q4.formatOf("token_embd.weight").name());
        QuantizationPlan q5 = QuantizationPlan.create(Fixtures.metadata("qwen2", 24, 0),
                Fixtures.qwen2(896, 24, 128, 4864, 1000, true), FileType.Q5_K_M, false);
        assertEquals("Q5_1", q5.formatOf("blk.3.attn_q.weight").name());
        assertEquals(List.of(), q5.substitutions());
    }

    @Test
    void fileTypeNamesIncludeLlamaQuantizesAliases() {
        assertEquals(FileType.Q4_K_M, FileType.parse("q4_k"));
        assertEquals(FileType.Q5_K_M, FileType.parse("Q5_K_M"));
        assertEquals(FileType.Q8_0, FileType.parse("q8_0"));
        assertEquals(15, FileType.Q4_K_M.llamaFileType());
    }
}
