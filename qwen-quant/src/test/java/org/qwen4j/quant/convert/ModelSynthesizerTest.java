package org.qwen4j.quant.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.core.gguf.GgufReader;
import org.qwen4j.core.gguf.GgufSource;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.Tensor;

/** Random-weight models: the shape asked for, the vocabulary's tokenizer, mkmodel's scales, and reproducible bytes. */
class ModelSynthesizerTest {
    /** A qwen3 shape whose head width (32) is not hidden / heads (16), so the key and value lengths are written. */
    private static final ModelShape SHAPE = new ModelShape("test-qwen3", "qwen3", 64, 2, 4, 2, 128, 32, false, 1e6, 256);
    private static Metadata vocabulary;

    @TempDir
    Path dir;

    @BeforeAll
    static void readVocabulary() {
        try (GgufSource source = GgufReader.open(Fixtures.model("tiny-qwen2", "f32"))) {
            vocabulary = source.metadata();
        }
    }

    private Path synthesize(ModelShape shape, long seed, FileType type, int threads) throws IOException {
        Path out = dir.resolve(shape.name() + "-" + seed + "-" + type + "-" + threads + ".gguf");
        new ModelSynthesizer(threads, ConversionProgress.NONE).synthesize(shape, vocabulary, seed, out, type, false);
        return out;
    }

    @Test
    void theModelHasTheShapesTensorsAndMetadataAndTheVocabularysTokenizer() throws IOException {
        try (GgufSource m = GgufReader.open(synthesize(SHAPE, 7, FileType.Q8_0, 2))) {
            Metadata md = m.metadata();
            assertEquals("qwen3", md.getString("general.architecture"));
            assertEquals(2, md.getLong("qwen3.block_count"));
            assertEquals(64, md.getLong("qwen3.embedding_length"));
            assertEquals(128, md.getLong("qwen3.feed_forward_length"));
            assertEquals(4, md.getLong("qwen3.attention.head_count"));
            assertEquals(2, md.getLong("qwen3.attention.head_count_kv"));
            assertEquals(32, md.getLong("qwen3.attention.key_length"));
            assertEquals(7, md.getLong("general.file_type"));
            assertArrayEquals(vocabulary.getStringArray("tokenizer.ggml.tokens"), md.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(vocabulary.getStringArray("tokenizer.ggml.merges"), md.getStringArray("tokenizer.ggml.merges"));
            assertEquals(vocabulary.getString("tokenizer.chat_template"), md.getString("tokenizer.chat_template"));
            int vocab = vocabulary.getStringArray("tokenizer.ggml.tokens").length;
            assertArrayEquals(new long[] {64, vocab}, m.tensor("token_embd.weight").shape());
            assertArrayEquals(new long[] {64, vocab}, m.tensor("output.weight").shape());
            assertArrayEquals(new long[] {64, 4 * 32}, m.tensor("blk.1.attn_q.weight").shape());
            assertArrayEquals(new long[] {64, 2 * 32}, m.tensor("blk.1.attn_v.weight").shape());
            assertArrayEquals(new long[] {4 * 32, 64}, m.tensor("blk.1.attn_output.weight").shape());
            assertArrayEquals(new long[] {32}, m.tensor("blk.0.attn_k_norm.weight").shape());
            assertArrayEquals(new long[] {128, 64}, m.tensor("blk.0.ffn_down.weight").shape());
            assertEquals(3 + 2 * 11, m.tensors().size());
            assertEquals("Q8_0", m.tensor("blk.0.ffn_up.weight").format().name());
            assertEquals("F32", m.tensor("blk.0.ffn_norm.weight").format().name());
        }
    }

    @Test
    void aTiedShapeHasNoOutputMatrixAndAQwen2ShapeHasBiases() throws IOException {
        ModelShape tied = new ModelShape("test-qwen2", "qwen2", 64, 1, 4, 2, 128, 0, true, 1e6, 256);
        try (GgufSource m = GgufReader.open(synthesize(tied, 1, FileType.F16, 2))) {
            assertTrue(m.findTensor("output.weight").isEmpty());
            assertArrayEquals(new long[] {32}, m.tensor("blk.0.attn_k.bias").shape());
            assertTrue(!m.metadata().has("qwen2.attention.key_length"), "hidden / heads is the head width");
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() throws IOException {
        Path a = synthesize(SHAPE, 42, FileType.Q4_0, 2);
        Path b = Files.move(a, dir.resolve("first.gguf"));
        Path again = synthesize(SHAPE, 42, FileType.Q4_0, 2);
        Path other = synthesize(SHAPE, 43, FileType.Q4_0, 2);
        assertEquals(-1, Files.mismatch(b, again));
        assertNotEquals(-1, Files.mismatch(b, other));
    }

    @Test
    void theBytesDoNotDependOnTheThreadCount() throws IOException {
        assertEquals(-1, Files.mismatch(synthesize(SHAPE, 5, FileType.Q8_0, 1), synthesize(SHAPE, 5, FileType.Q8_0, 3)));
    }

    @Test
    void weightsHaveTheScalesOfTheReferenceModels() throws IOException {
        try (GgufSource m = GgufReader.open(synthesize(SHAPE, 3, FileType.F32, 2))) {
            assertMoments(m.tensor("token_embd.weight"), 0, ModelSynthesizer.EMBEDDING_STD);
            assertMoments(m.tensor("output.weight"), 0, ModelSynthesizer.EMBEDDING_STD);
            assertMoments(m.tensor("blk.0.ffn_down.weight"), 0, 1 / Math.sqrt(128));
            assertMoments(m.tensor("blk.1.attn_q.weight"), 0, 1 / Math.sqrt(64));
            assertMoments(m.tensor("blk.0.attn_norm.weight"), 1, 0.1);
        }
    }

    @Test
    void presetsHaveTheRealModelsShapes() {
        ModelShape q = ModelShape.preset("qwen2.5-0.5b");
        assertEquals(List.of(896, 24, 14, 2, 4864, 64), List.of(q.hidden(), q.layers(), q.heads(), q.kvHeads(), q.ffn(), q.headWidth()));
        assertTrue(q.tied());
        ModelShape q3 = ModelShape.preset("qwen3-0.6b");
        assertEquals(List.of(1024, 28, 16, 8, 3072, 128), List.of(q3.hidden(), q3.layers(), q3.heads(), q3.kvHeads(), q3.ffn(), q3.headWidth()));
        assertEquals(5, ModelShape.presetNames().size());
    }

    /**
     * Mean and standard deviation within four standard errors of the target for the tensor's size (the
     * values are fixed by the seed, so this cannot flake; the bound only keeps the check meaningful).
     */
    private static void assertMoments(Tensor t, double mean, double std) {
        float[] v = t.toFloatArray();
        double sum = 0;
        double sq = 0;
        for (float x : v) {
            sum += x;
            sq += x * x;
        }
        double m = sum / v.length;
        double s = Math.sqrt(sq / v.length - m * m);
        assertEquals(mean, m, 4 * std / Math.sqrt(v.length), t.name() + " mean");
        assertEquals(std, s, 4 * std / Math.sqrt(2.0 * v.length), t.name() + " standard deviation");
    }
}
