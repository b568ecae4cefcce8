package org.qwen4j.core.arch;

import static org.qwen4j.core.arch.TensorChecks.expectShape;
import static org.qwen4j.core.arch.TensorChecks.matrix;
import static org.qwen4j.core.arch.TensorChecks.vector;

import java.nio.file.Path;
import org.qwen4j.ContextOverflowException;
import org.qwen4j.KvCacheType;
import org.qwen4j.ModelFormatException;
import org.qwen4j.SessionClosedException;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelConfig;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Rope;
import org.qwen4j.spi.Tensor;

/**
 * The decoder-only transformer of the Qwen family (Qwen1.5/2/2.5, Qwen3, and their mixtures of
 * experts): RMSNorm, grouped-query attention with NEOX RoPE (QKV bias for qwen2, per-head Q/K RMSNorm
 * for qwen3), a {@link FeedForward} per block (a dense SwiGLU network, or a {@link MoeFeedForward}),
 * output head tied to the embeddings unless {@code output.weight} exists.
 * Written against {@link Backend} only.
 */
public final class QwenTransformer implements LanguageModel {
    /** Tokens evaluated together in one chunk of a prompt. */
    static final int MAX_BATCH = 128;

    private final ModelConfig config;
    private final Backend backend;
    private final Tensor embeddings;
    private final Tensor output;
    private final float[] outputNorm;
    private final LayerWeights[] layers;
    private final Rope rope;
    private final long weightBytes;
    /** The most experts of any block (0 for a dense model), which sizes the states' routing buffers. */
    private final int expertCount;

    /**
     * Reads the model. {@code perHeadNorms}: Qwen3's per-head Q/K RMSNorm; {@code qkvBias}: Qwen2's
     * Q/K/V biases; {@code feedForward} reads each block's dense network or mixture of experts.
     */
    QwenTransformer(ModelSource source, Backend backend, boolean perHeadNorms, boolean qkvBias,
                    FeedForwardReader feedForward) {
        this.backend = backend;
        Path file = source.path();
        Metadata md = source.metadata();
        String arch = md.getString("general.architecture");
        embeddings = source.tensor("token_embd.weight");
        int hidden = md.getInt(arch + ".embedding_length", 1, 1 << 20);
        int heads = md.getInt(arch + ".attention.head_count", 1, 1 << 12);
        int kvHeads = md.getInt(arch + ".attention.head_count_kv", 1, heads, heads);
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(file, arch + ".attention.head_count_kv",
                    "head count " + heads + " is not a multiple of the KV head count " + kvHeads);
        }
        int headDim = md.getInt(arch + ".attention.key_length", 2, 1 << 12, hidden / heads);
        if (headDim % 2 != 0) {
            throw new ModelFormatException(file, arch + ".attention.key_length", "head dimension " + headDim + " is odd");
        }
        int blocks = md.getInt(arch + ".block_count", 1, 1 << 12);
        int vocab = embeddings.rows();
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        expectShape(file, embeddings, hidden, vocab);
        output = source.findTensor("output.weight").orElse(embeddings);
        expectShape(file, output, hidden, vocab);
        outputNorm = vector(file, source.tensor("output_norm.weight"), hidden);
        layers = new LayerWeights[blocks];
        int widest = 0;
        int experts = 0;
        for (int l = 0; l < layers.length; l++) {
            String p = "blk." + l + ".";
            FeedForward ffn = feedForward.read(source, l, hidden);
            widest = Math.max(widest, ffn.width());
            experts = Math.max(experts, ffn.experts());
            layers[l] = new LayerWeights(
                    vector(file, source.tensor(p + "attn_norm.weight"), hidden),
                    matrix(file, source.tensor(p + "attn_q.weight"), hidden, qDim),
                    matrix(file, source.tensor(p + "attn_k.weight"), hidden, kvDim),
                    matrix(file, source.tensor(p + "attn_v.weight"), hidden, kvDim),
                    qkvBias ? vector(file, source.tensor(p + "attn_q.bias"), qDim) : null,
                    qkvBias ? vector(file, source.tensor(p + "attn_k.bias"), kvDim) : null,
                    qkvBias ? vector(file, source.tensor(p + "attn_v.bias"), kvDim) : null,
                    perHeadNorms ? vector(file, source.tensor(p + "attn_q_norm.weight"), headDim) : null,
                    perHeadNorms ? vector(file, source.tensor(p + "attn_k_norm.weight"), headDim) : null,
                    matrix(file, source.tensor(p + "attn_output.weight"), qDim, hidden),
                    vector(file, source.tensor(p + "ffn_norm.weight"), hidden),
                    ffn);
        }
        expertCount = experts;
        // ffnSize is the widest feed-forward network (for a mixture, of its experts and shared expert): it sizes the buffers.
        config = new ModelConfig(arch, blocks, hidden, heads, kvHeads, headDim, widest, vocab,
                md.getInt(arch + ".context_length", 1, 1 << 24),
                (float) md.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-6),
                md.getDouble(arch + ".rope.freq_base", 10_000));
        if (config.ropeBase() <= 0) {
            throw new ModelFormatException(file, arch + ".rope.freq_base", "must be positive, got " + config.ropeBase());
        }
        rope = rope(md, arch, headDim, config.ropeBase());
        weightBytes = source.tensors().values().stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    private static Rope rope(Metadata md, String arch, int headDim, double base) {
        String p = arch + ".rope.scaling.";
        String type = md.getString(p + "type", "none");
        return switch (type) {
            case "none", "linear" -> {
                double factor = md.getDouble(p + "factor", 1);
                Rope plain = Rope.standard(headDim, base);
                if (factor == 1 || "none".equals(type)) yield plain;
                double[] f = plain.inverseFrequencies().clone();
                for (int i = 0; i < f.length; i++) f[i] /= factor;
                yield new Rope(f, 1f);
            }
            case "yarn" -> {
                double factor = md.getDouble(p + "factor");
                if (!(factor >= 1)) {
                    throw new ModelFormatException(md.file(), p + "factor", "YaRN factor must be >= 1, got " + factor);
                }
                Rope yarn = Rope.yarn(headDim, base, factor, md.getInt(p + "original_context_length", 1, 1 << 24),
                        md.getDouble(p + "yarn_beta_fast", 32), md.getDouble(p + "yarn_beta_slow", 1),
                        md.getDouble(p + "attn_factor", 1));
                // A checkpoint's own attention_factor replaces the 0.1·ln(factor)+1 magnitude (transformers' rule).
                yield md.has(p + "yarn_attn_factor")
                        ? new Rope(yarn.inverseFrequencies(), (float) md.getDouble(p + "yarn_attn_factor"))
                        : yarn;
            }
            default -> throw new ModelFormatException(md.file(), p + "type", "RoPE scaling '" + type + "' is not supported");
        };
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    @Override
    public long stateBytes(int contextLength, KvCacheType cacheType) {
        return (long) Math.ceil(2.0 * config.layers() * contextLength * config.kvHeads() * config.headDim()
                * cacheType.bytesPerValue())
                + backend.attentionScratchBytes(contextLength, config.heads(), config.kvHeads(), config.headDim())
                + TransformerState.bufferBytes(config, MAX_BATCH, config.ffnSize(), expertCount);
    }

    @Override
    public InferenceState newState(int contextLength, KvCacheType cacheType) {
        var cache = backend.newKvCache(config.layers(), contextLength, config.kvHeads(), config.headDim(), cacheType);
        return new TransformerState(config, cache, contextLength, MAX_BATCH, config.ffnSize(), expertCount);
    }

    @Override
    public void forward(InferenceState inferenceState, int[] tokens, int offset, int count, float[] logits,
                        boolean allLogits) {
        TransformerState s = (TransformerState) inferenceState;
        if (s.isClosed()) throw new SessionClosedException("inference state");
        if (count <= 0) throw new IllegalArgumentException("nothing to evaluate");
        if (s.position() + count > s.contextLength()) {
            throw new ContextOverflowException(s.position(), count, s.contextLength());
        }
        int vocab = config.vocabularySize();
        for (int i = offset; i < offset + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int needed = allLogits ? count * vocab : vocab;
        if (logits.length < needed) {
            throw new IllegalArgumentException("logits buffer holds " + logits.length + " floats, " + needed + " needed");
        }
        for (int done = 0; done < count; ) {
            int batch = Math.min(s.maxBatch, count - done);
            evaluateChunk(s, tokens, offset + done, batch);
            if (allLogits) {
                int hidden = config.hiddenSize();
                backend.rmsnorm(s.xb, s.x, outputNorm, batch, hidden, config.rmsEpsilon());
                float[] chunkLogits = s.batchLogits();
                backend.matmul(output, s.xb, chunkLogits, batch);
                System.arraycopy(chunkLogits, 0, logits, done * vocab, batch * vocab);
            } else if (done + batch == count) {
                int hidden = config.hiddenSize();
                backend.rmsnorm(s.lastRow, lastRowOf(s, batch), outputNorm, 1, hidden, config.rmsEpsilon());
                backend.matmul(output, s.lastRow, logits, 1);
            }
            s.advance(batch);
            done += batch;
        }
    }

    private float[] lastRowOf(TransformerState s, int batch) {
        int hidden = config.hiddenSize();
        if (batch == 1) return s.x;
        System.arraycopy(s.x, (batch - 1) * hidden, s.xb, 0, hidden);
        return s.xb;
    }

    private void evaluateChunk(TransformerState s, int[] tokens, int offset, int batch) {
        ModelConfig c = config;
        int hidden = c.hiddenSize();
        int heads = c.heads();
        int kvHeads = c.kvHeads();
        int headDim = c.headDim();
        int pos = s.position();
        float eps = c.rmsEpsilon();
        backend.embed(embeddings, tokens, offset, batch, s.x);
        for (int l = 0; l < layers.length; l++) {
            LayerWeights w = layers[l];
            backend.rmsnorm(s.xb, s.x, w.attnNorm(), batch, hidden, eps);
            backend.matmul(w.qkv(), s.xb, s.qkv, batch);
            if (w.bq() != null) {
                backend.addBias(s.q, w.bq(), batch);
                backend.addBias(s.k, w.bk(), batch);
                backend.addBias(s.v, w.bv(), batch);
            }
            if (w.qNorm() != null) {
                backend.rmsnorm(s.q, s.q, w.qNorm(), batch * heads, headDim, eps);
                backend.rmsnorm(s.k, s.k, w.kNorm(), batch * kvHeads, headDim, eps);
            }
            backend.rope(s.q, batch, heads, headDim, pos, rope);
            backend.rope(s.k, batch, kvHeads, headDim, pos, rope);
            backend.attention(s.attn, s.q, s.k, s.v, s.cache, l, batch, pos, heads, kvHeads, headDim);
            backend.matmul(w.wo(), s.attn, s.xb, batch);
            backend.add(s.x, s.xb, batch * hidden);

            backend.rmsnorm(s.xb, s.x, w.ffnNorm(), batch, hidden, eps);
            w.ffn().addInto(backend, s.xb, s.x, batch, s);
        }
    }
}
