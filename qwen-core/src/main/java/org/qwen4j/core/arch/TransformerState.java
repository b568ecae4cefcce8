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
    final KvCache cache;
    final float[] x;
    final float[] xb;
    final float[] q;
    final float[] k;
    final float[] v;
    final float[] attn;
    final float[] hb;
    final float[] hb2;
    final float[] lastRow;
    /** Output buffers in the order of {@link LayerWeights#qkv()} and {@link LayerWeights#gateUp()}. */
    final float[][] qkv;
    final float[][] gateUp;
    private float[] batchLogits;
    private final int contextLength;
    private final int vocab;
    private int position;
    private boolean closed;

    TransformerState(ModelConfig c, KvCache cache, int contextLength, int maxBatch) {
        this.maxBatch = maxBatch;
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
        hb = new float[maxBatch * c.ffnSize()];
        hb2 = new float[maxBatch * c.ffnSize()];
        lastRow = new float[c.hiddenSize()];
        qkv = new float[][] {q, k, v};
        gateUp = new float[][] {hb, hb2};
    }

    static long bufferBytes(ModelConfig c, int maxBatch) {
        long qDim = (long) c.heads() * c.headDim();
        long kvDim = (long) c.kvHeads() * c.headDim();
        long per = c.hiddenSize() + Math.max(c.hiddenSize(), qDim) + 2 * qDim + 2 * kvDim + 2L * c.ffnSize();
        return (per * maxBatch + c.hiddenSize()) * Float.BYTES;
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
