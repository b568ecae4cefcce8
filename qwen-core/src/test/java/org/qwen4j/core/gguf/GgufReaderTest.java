package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

class GgufReaderTest {
    private final GgufModelFormat gguf = new GgufModelFormat();

    @Test
    void vocabularyOnlyFileOpensWithTokenizerMetadataAndNoTensors() {
        try (ModelSource src = gguf.open(TestData.resolve("tokenizer/ggml-vocab-qwen2.gguf"))) {
            assertEquals(0, src.tensors().size());
            assertEquals("gpt2", src.metadata().getString("tokenizer.ggml.model"));
            assertEquals("qwen2", src.metadata().getString("tokenizer.ggml.pre"));
            assertEquals(151_936, src.metadata().getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(151_387, src.metadata().getStringArray("tokenizer.ggml.merges").length);
            assertEquals(151_643, src.metadata().getLong("tokenizer.ggml.eos_token_id"));
        }
    }

    @Test
    void modelTensorsAreViewsWithGgmlShapes() {
        try (ModelSource src = gguf.open(TestData.resolve("models/tiny-qwen2/tiny-qwen2-f32.gguf"))) {
            assertEquals("qwen2", src.metadata().getString("general.architecture"));
            assertEquals(2, src.metadata().getLong("qwen2.block_count"));
            Tensor emb = src.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 4122}, emb.shape());
            assertEquals(64L * 4122 * 4, emb.data().byteSize());
            Tensor q = src.tensor("blk.0.attn_q.weight");
            assertArrayEquals(new long[] {64, 64}, q.shape());
            assertTrue(src.findTensor("blk.1.attn_q.bias").isPresent());
            assertFalse(src.findTensor("output.weight").isPresent(), "tiny-qwen2 ties its output to the embeddings");
        }
    }

    @Test
    void probeRecognisesGgufAndRejectsOtherFiles() {
        assertTrue(gguf.canOpen(TestData.resolve("models/tiny-qwen2/tiny-qwen2-f32.gguf")));
        assertFalse(gguf.canOpen(TestData.resolve("index.json")));
        assertFalse(gguf.canOpen(Path.of("does-not-exist.gguf")));
    }
}
