package org.qwen4j.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * A random-weight qwen2 model held in native memory, for benchmarks that must not depend on a file:
 * compute cost does not depend on the values. Matrices use the requested format; norms and biases
 * are F32, as in quantized GGUF files.
 */
final class SyntheticModel implements ModelSource {
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Metadata metadata;

    /** The Qwen2.5-0.5B shape: hidden 896, 24 layers, 14/2 heads, ffn 4864, vocabulary 151,936. */
    static SyntheticModel qwen25_05b(String format) {
        return new SyntheticModel(format, 896, 24, 14, 2, 4864, 151_936);
    }

    SyntheticModel(String formatName, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab) {
        TensorFormat matrix = TensorFormats.byName(formatName).orElseThrow();
        TensorFormat f32 = TensorFormats.byName("F32").orElseThrow();
        SplittableRandom random = new SplittableRandom(42);
        int headDim = hidden / heads;
        int kvDim = kvHeads * headDim;
        add("token_embd.weight", matrix, hidden, vocab, random);
        add("output_norm.weight", f32, hidden, 1, random);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            add(p + "attn_norm.weight", f32, hidden, 1, random);
            add(p + "attn_q.weight", matrix, hidden, hidden, random);
            add(p + "attn_k.weight", matrix, hidden, kvDim, random);
            add(p + "attn_v.weight", matrix, hidden, kvDim, random);
            add(p + "attn_q.bias", f32, hidden, 1, random);
            add(p + "attn_k.bias", f32, kvDim, 1, random);
            add(p + "attn_v.bias", f32, kvDim, 1, random);
            add(p + "attn_output.weight", matrix, hidden, hidden, random);
            add(p + "ffn_norm.weight", f32, hidden, 1, random);
            add(p + "ffn_gate.weight", matrix, hidden, ffn, random);
            add(p + "ffn_up.weight", matrix, hidden, ffn, random);
            add(p + "ffn_down.weight", matrix, ffn, hidden, random);
        }
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", "qwen2");
        md.put("qwen2.block_count", (long) layers);
        md.put("qwen2.context_length", 32_768L);
        md.put("qwen2.embedding_length", (long) hidden);
        md.put("qwen2.feed_forward_length", (long) ffn);
        md.put("qwen2.attention.head_count", (long) heads);
        md.put("qwen2.attention.head_count_kv", (long) kvHeads);
        md.put("qwen2.rope.freq_base", 1e6);
        md.put("qwen2.attention.layer_norm_rms_epsilon", 1e-6);
        metadata = new Metadata(path(), md);
    }

    private void add(String name, TensorFormat format, int cols, int rows, SplittableRandom random) {
        long rowBytes = format.byteSize(cols);
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) row[c] = (float) (random.nextDouble() - 0.5) * 0.1f;
            format.quantize(row, 0, data, r * rowBytes, cols);
        }
        long[] shape = rows == 1 ? new long[] {cols} : new long[] {cols, rows};
        tensors.put(name, new Tensor(name, format, shape, data));
    }

    @Override
    public Path path() {
        return Path.of("synthetic-qwen2");
    }

    @Override
    public String formatName() {
        return "synthetic";
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        arena.close();
    }
}
