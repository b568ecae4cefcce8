package org.qwen4j.spi;

/** A forward pass: tokens in, logits out, keys and values kept in an {@link InferenceState}. */
public interface LanguageModel {
    ModelConfig config();

    /** Total bytes of the weights it reads. */
    long weightBytes();

    /** A fresh, empty state (KV cache and activation buffers) for {@code contextLength} tokens. */
    InferenceState newState(int contextLength, org.qwen4j.KvCacheType cacheType);

    /** Bytes such a state will hold, known before it is allocated. */
    long stateBytes(int contextLength, org.qwen4j.KvCacheType cacheType);

    /**
     * Evaluates {@code count} tokens as one batch at positions {@code state.position()} onwards and
     * advances the state. Writes logits into {@code logits}: for every token
     * ({@code [count][vocab]}) when {@code allLogits}, else for the last one only.
     */
    void forward(InferenceState state, int[] tokens, int offset, int count, float[] logits, boolean allLogits);
}
