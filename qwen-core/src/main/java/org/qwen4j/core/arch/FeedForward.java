package org.qwen4j.core.arch;

import org.qwen4j.spi.Backend;

/**
 * The feed-forward half of a transformer block, after its RMSNorm: a dense SwiGLU network or a
 * mixture of experts. {@link QwenTransformer} calls it without knowing which.
 */
sealed interface FeedForward permits DenseFeedForward, MoeFeedForward {

    /**
     * Adds the feed-forward output of {@code batch} rows of {@code normed} (hidden values each) to the
     * same rows of {@code residual}. May overwrite {@code normed}. Allocates nothing: scratch space
     * comes from {@code state}.
     */
    void addInto(Backend backend, float[] normed, float[] residual, int batch, TransformerState state);

    /** The widest intermediate activation of one token, which sizes the state's buffers. */
    int width();

    /** Experts the state must route among; 0 for a dense network. */
    int experts();
}
