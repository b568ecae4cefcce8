package org.qwen4j.core.arch;

import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.ModelConfig;

/**
 * KV cache, position and activation buffers of one sequence. Buffers hold up to {@link #maxBatch}
 * tokens; longer prompts are evaluated in chunks of that size. Allocated once, so evaluating
 * tokens allocates nothing.
 */
final class TransformerState implements InferenceState {
    final int maxBatch;
    final int hidden;
    final KvCache cache;
    final float[] x;
    final float[] xb;
    final float[] q;
    final float[] k;
    final float[] v;
    final float[] attn;
    /** Feed-forward intermediates (gate, then up), as wide as the model's widest SwiGLU network. */
    final float[] hb;
    final float[] hb2;
    final float[] lastRow;
    /** Output buffers in the order of {@link LayerWeights#qkv()} and {@link SwiGlu#gateUp()}. */
    final float[][] qkv;
    final float[][] gateUp;
    /** Routing buffers of the mixture-of-experts blocks; null for a dense model. */
    final ExpertRouting routing;
    private float[] batchLogits;
    private final int contextLength;
    private final int vocab;
    private int position;
    private boolean closed;

    /**
     * Buffers for {@code maxBatch} tokens of a model with configuration {@code c}, feed-forward networks
     * at most {@code ffnWidth} wide and, when {@code experts > 0}, mixture-of-experts blocks of that many experts.
     */
    TransformerState(ModelConfig c, KvCache cache, int contextLength, int maxBatch, int ffnWidth, int experts) {
        this.maxBatch = maxBatch;
        this.hidden = c.hiddenSize();
        this.cache = cache;
        this.contextLength = contextLength;
        this.vocab = c.vocabularySize();
        int qDim = c.heads() * c.headDim();
        int kvDim = c.kvHeads() * c.headDim();
        int wide = Math.max(c.hiddenSize(), qDim);
        x = new float[maxBatch * c.hiddenSize()];
        xb = new float[maxBatch * wide];
        q = new float[maxBatch * qDim];
        k = new float[maxBatch * kvDim];
        v = new float[maxBatch * kvDim];
        attn = new float[maxBatch * qDim];
        hb = new float[maxBatch * ffnWidth];
        hb2 = new float[maxBatch * ffnWidth];
        lastRow = new float[c.hiddenSize()];
        qkv = new float[][] {q, k, v};
        gateUp = new float[][] {hb, hb2};
        routing = experts > 0 ? new ExpertRouting(experts, maxBatch, c.hiddenSize()) : null;
    }

    /** Bytes of the buffers such a state allocates up front. */
    static long bufferBytes(ModelConfig c, int maxBatch, int ffnWidth, int experts) {
        long qDim = (long) c.heads() * c.headDim();
        long kvDim = (long) c.kvHeads() * c.headDim();
        long per = c.hiddenSize() + Math.max(c.hiddenSize(), qDim) + 2 * qDim + 2 * kvDim + 2L * ffnWidth;
        return (per * maxBatch + c.hiddenSize()) * Float.BYTES
                + (experts > 0 ? ExpertRouting.bytes(experts, maxBatch, c.hiddenSize()) : 0);
    }

    /** Logits for a whole chunk, allocated on first use: only callers that want every position's logits pay for it. */
    float[] batchLogits() {
        if (batchLogits == null) batchLogits = new float[maxBatch * vocab];
        return batchLogits;
    }

    void advance(int n) {
        position += n;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public void truncate(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot truncate to " + newPosition + " (position " + position + ")");
        }
        position = newPosition;
    }

    @Override
    public long memoryBytes() {
        return cache.memoryBytes() + (long) (x.length + xb.length + q.length + k.length + v.length + attn.length
                + hb.length + hb2.length + lastRow.length) * Float.BYTES
                + (routing == null ? 0 : ExpertRouting.bytes(routing.experts(), maxBatch, hidden))
                + (batchLogits == null ? 0 : (long) batchLogits.length * Float.BYTES);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cache.close();
        }
    }
}
