package org.qwen4j.core.arch;

import org.qwen4j.spi.Tensor;

/**
 * The tensors of one transformer block. Norm vectors and biases are small and read on every token,
 * so they are decoded to float arrays once; matrices stay in the mapped file.
 * {@code qNorm}/{@code kNorm} are the per-head norms of Qwen3 and null for Qwen2; biases are null
 * when the architecture has none. {@code ffn} is the block's dense network or mixture of experts.
 */
record LayerWeights(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, float[] bq, float[] bk, float[] bv,
                    float[] qNorm, float[] kNorm, Tensor wo, float[] ffnNorm, FeedForward ffn, Tensor[] qkv) {

    LayerWeights(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, float[] bq, float[] bk, float[] bv,
                 float[] qNorm, float[] kNorm, Tensor wo, float[] ffnNorm, FeedForward ffn) {
        // The products that read the same normed input, grouped once so that each step passes them as one job.
        this(attnNorm, wq, wk, wv, bq, bk, bv, qNorm, kNorm, wo, ffnNorm, ffn, new Tensor[] {wq, wk, wv});
    }
}
