package org.qwen4j.quant.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.TensorFormat;

/**
 * Writes a model of a given {@link ModelShape} with random weights, for benchmarks: the compute cost
 * of a model does not depend on its values. The weights follow the reference set's
 * {@code mkmodel.py} scales (token embeddings of standard deviation 0.5, matrices of 1/sqrt(fan-in),
 * norms 1 ± 0.1, biases of 0.1) and are a function of the seed alone; the tokenizer, and so the
 * vocabulary size, is copied from a vocabulary file's {@code tokenizer.*} metadata. Every tensor is
 * generated and encoded a slab at a time on a pool of threads, in the formats a {@link QuantizationPlan}
 * of the requested {@link FileType} gives, so a 0.5B model is written in seconds with little heap.
 */
public final class ModelSynthesizer {
    /** Standard deviation of the token embeddings (and of the untied output matrix), {@code mkmodel.py}'s default. */
    public static final float EMBEDDING_STD = 0.5f;
    /** {@code <arch>.attention.layer_norm_rms_epsilon} of every Qwen model. */
    public static final double RMS_EPSILON = 1e-6;
    private static final String TOKENS_KEY = "tokenizer.ggml.tokens";
    private static final String ADD_BOS_KEY = "tokenizer.ggml.add_bos_token";

    private final int threads;
    private final ConversionProgress progress;

    /**
     * @param threads  generating and encoding threads; at least 1
     * @param progress told after every slab and tensor
     */
    public ModelSynthesizer(int threads, ConversionProgress progress) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.progress = progress;
    }

    /** One random tensor: its GGUF name and shape (innermost first), and the distribution of its values. */
    private record Weight(String name, long[] shape, float mean, float std) {
    }

    /**
     * Writes the model.
     *
     * @param vocabulary metadata holding the tokenizer ({@code tokenizer.ggml.tokens} …), e.g. of
     *                   {@code ggml-vocab-qwen2.gguf}; its token count is the embedding's row count
     * @param pure       every weight matrix in the file type's own format (see {@link QuantizationPlan})
     */
    public ConversionResult synthesize(ModelShape shape, Metadata vocabulary, long seed, Path output, FileType type,
            boolean pure) throws IOException {
        int vocabularySize = vocabulary.getStringArray(TOKENS_KEY).length;
        Map<String, Object> metadata = metadata(shape, vocabulary, type);
        TensorFormat f32 = TensorFormats.byName("F32").orElseThrow();
        Map<String, Weight> weights = new HashMap<>();
        List<GgufTensorInfo> infos = new ArrayList<>();
        for (Weight w : weights(shape, vocabularySize)) {
            weights.put(w.name(), w);
            infos.add(new GgufTensorInfo(w.name(), f32, w.shape()));
        }
        QuantizationPlan plan = QuantizationPlan.create(new Metadata(output, metadata), infos, type, pure);
        try (ParallelGgufEncoder encoder = new ParallelGgufEncoder(threads, progress)) {
            return encoder.write(output, metadata, plan, planned -> {
                Weight w = weights.get(planned.name());
                return new TensorData.Rows(new RandomRows(seed, w.name(), Math.toIntExact(w.shape()[0]), w.mean(), w.std()));
            });
        }
    }

    private static Map<String, Object> metadata(ModelShape s, Metadata vocabulary, FileType type) {
        String a = s.architecture();
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", a);
        md.put("general.name", s.name());
        md.put(ModelQuantizer.FILE_TYPE_KEY, (long) type.llamaFileType());
        md.put(ModelQuantizer.QUANTIZATION_VERSION_KEY, ModelQuantizer.QUANTIZATION_VERSION);
        md.put(a + ".block_count", (long) s.layers());
        md.put(a + ".context_length", (long) s.contextLength());
        md.put(a + ".embedding_length", (long) s.hidden());
        md.put(a + ".feed_forward_length", (long) s.ffn());
        md.put(a + ".attention.head_count", (long) s.heads());
        md.put(a + ".attention.head_count_kv", (long) s.kvHeads());
        if (s.headWidth() * s.heads() != s.hidden()) {
            md.put(a + ".attention.key_length", (long) s.headWidth());
            md.put(a + ".attention.value_length", (long) s.headWidth());
        }
        md.put(a + ".rope.freq_base", s.ropeTheta());
        md.put(a + ".attention.layer_norm_rms_epsilon", RMS_EPSILON);
        GgufMetadataKeys.of(vocabulary.asMap()).forEach((key, value) -> {
            if (key.startsWith("tokenizer.")) md.put(key, value);
        });
        // Qwen's tokenizers add no BOS token; llama.cpp's vocabulary files predate the key.
        md.putIfAbsent(ADD_BOS_KEY, false);
        return md;
    }

    /** The tensors of the shape, in the order of a Hugging Face checkpoint, with {@code mkmodel.py}'s scales. */
    private static List<Weight> weights(ModelShape s, int vocabularySize) {
        long hidden = s.hidden();
        long q = (long) s.heads() * s.headWidth();
        long kv = (long) s.kvHeads() * s.headWidth();
        List<Weight> w = new ArrayList<>();
        w.add(new Weight("token_embd.weight", new long[] {hidden, vocabularySize}, 0, EMBEDDING_STD));
        for (int i = 0; i < s.layers(); i++) {
            String p = "blk." + i + ".";
            w.add(norm(p + "attn_norm.weight", hidden));
            w.add(matrix(p + "attn_q.weight", hidden, q));
            w.add(matrix(p + "attn_k.weight", hidden, kv));
            w.add(matrix(p + "attn_v.weight", hidden, kv));
            if (s.architecture().equals("qwen2")) {
                w.add(new Weight(p + "attn_q.bias", new long[] {q}, 0, 0.1f));
                w.add(new Weight(p + "attn_k.bias", new long[] {kv}, 0, 0.1f));
                w.add(new Weight(p + "attn_v.bias", new long[] {kv}, 0, 0.1f));
            } else {
                w.add(norm(p + "attn_q_norm.weight", s.headWidth()));
                w.add(norm(p + "attn_k_norm.weight", s.headWidth()));
            }
            w.add(matrix(p + "attn_output.weight", q, hidden));
            w.add(norm(p + "ffn_norm.weight", hidden));
            w.add(matrix(p + "ffn_gate.weight", hidden, s.ffn()));
            w.add(matrix(p + "ffn_up.weight", hidden, s.ffn()));
            w.add(matrix(p + "ffn_down.weight", s.ffn(), hidden));
        }
        w.add(norm("output_norm.weight", hidden));
        if (!s.tied()) w.add(new Weight("output.weight", new long[] {hidden, vocabularySize}, 0, EMBEDDING_STD));
        return w;
    }

    /** A weight matrix mapping {@code in} values to {@code out}, scaled so that outputs keep unit variance. */
    private static Weight matrix(String name, long in, long out) {
        return new Weight(name, new long[] {in, out}, 0, (float) (1 / Math.sqrt(in)));
    }

    private static Weight norm(String name, long width) {
        return new Weight(name, new long[] {width}, 1, 0.1f);
    }
}
