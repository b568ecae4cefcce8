package org.qwen4j.spi;

/**
 * Coarse tensor operations a forward pass is written against. Activations are row-major
 * {@code float[]} buffers of {@code batch} rows; weights stay in the {@link Tensor}'s mapped memory.
 * A backend owns its worker threads and its KV caches.
 */
public interface Backend extends AutoCloseable {
    String name();

    int threads();

    /** Copies (dequantizes) the embedding rows of {@code count} tokens into {@code out}. */
    void embed(Tensor table, int[] tokens, int offset, int count, float[] out);

    /**
     * {@code out[b][r] = sum_c w[r][c] * x[b][c]} for {@code b < batch}; {@code x} rows are
     * {@code w.columns()} long, {@code out} rows {@code w.rows()} long.
     */
    void matmul(Tensor w, float[] x, float[] out, int batch);

    /**
     * Several products of the same input, {@code outs[i] = weights[i] · x}, e.g. the Q, K and V
     * projections: a backend may run them as one job.
     */
    default void matmul(Tensor[] weights, float[] x, float[][] outs, int batch) {
        for (int i = 0; i < weights.length; i++) matmul(weights[i], x, outs[i], batch);
    }

    /** Adds {@code bias} to each of {@code batch} rows of {@code x}. */
    void addBias(float[] x, float[] bias, int batch);

    /** {@code x += delta} over the first {@code n} values. */
    void add(float[] x, float[] delta, int n);

    /** RMSNorm of {@code batch} rows of width {@code dim}, scaled by {@code weight}. */
    void rmsnorm(float[] out, float[] x, float[] weight, int batch, int dim, float epsilon);

    /** Rotates {@code batch} rows of {@code heads * headDim} in place; row {@code b} is at position {@code startPos + b}. */
    void rope(float[] x, int batch, int heads, int headDim, int startPos, Rope rope);

    /** {@code gate = silu(gate) * up} over the first {@code n} values. */
    void swiglu(float[] gate, float[] up, int n);

    /**
     * A KV cache for {@code layers} layers, {@code contextLength} positions and {@code kvHeads} heads
     * of {@code headDim} values per position, stored as {@code type}.
     */
    KvCache newKvCache(int layers, int contextLength, int kvHeads, int headDim, org.qwen4j.KvCacheType type);

    /**
     * The most scratch memory {@link #attention} may take for one session at {@code contextLength}
     * positions, beyond the cache itself; counted when a session's memory is checked up front. The
     * default assumes one row of scores and one decoded row per thread.
     */
    default long attentionScratchBytes(int contextLength, int heads, int kvHeads, int headDim) {
        return (long) threads() * (contextLength + headDim) * Float.BYTES;
    }

    /**
     * Stores the batch's keys and values ({@code batch} rows of {@code kvHeads * headDim}) at
     * positions {@code startPos…} of {@code layer}, then computes causal scaled-dot-product attention
     * of the queries ({@code batch} rows of {@code heads * headDim}) over positions {@code 0…startPos+b}.
     */
    void attention(float[] out, float[] q, float[] k, float[] v, KvCache cache, int layer, int batch,
                   int startPos, int heads, int kvHeads, int headDim);

    @Override
    void close();
}
