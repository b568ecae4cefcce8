package org.qwen4j.core;

import org.qwen4j.ContextOverflowException;
import org.qwen4j.KvCacheType;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;

/**
 * The tokens whose keys and values are in an {@link InferenceState}, so that a new prompt can reuse
 * the longest common prefix and evaluate only what differs.
 */
final class Sequence implements AutoCloseable {
    private final LanguageModel model;
    private final InferenceState state;
    private final int[] tokens;
    private final float[] logits;

    Sequence(LanguageModel model, int contextLength, KvCacheType cacheType) {
        this.model = model;
        this.state = model.newState(contextLength, cacheType);
        this.tokens = new int[contextLength];
        this.logits = new float[model.config().vocabularySize()];
    }

    int length() {
        return state.position();
    }

    int capacity() {
        return tokens.length;
    }

    int vocabularySize() {
        return logits.length;
    }

    /** Tokens of {@code ids} already in the cache, counted from the start. */
    int commonPrefix(int[] ids) {
        int n = Math.min(ids.length, length());
        int i = 0;
        while (i < n && tokens[i] == ids[i]) i++;
        return i;
    }

    void rewind(int position) {
        state.truncate(position);
    }

    /** Evaluates {@code ids[from..to)} after the current end; returns the logits of the last one (a reused buffer). */
    float[] evaluate(int[] ids, int from, int to) {
        checkFits(to - from);
        int start = length();
        model.forward(state, ids, from, to - from, logits, false);
        System.arraycopy(ids, from, tokens, start, to - from);
        return logits;
    }

    /** Evaluates {@code ids} and returns every position's logits, {@code [ids.length][vocab]}. */
    float[] evaluateAll(int[] ids) {
        checkFits(ids.length);
        int start = length();
        float[] all = new float[Math.multiplyExact(ids.length, logits.length)];
        model.forward(state, ids, 0, ids.length, all, true);
        System.arraycopy(ids, 0, tokens, start, ids.length);
        return all;
    }

    void checkFits(int more) {
        if (length() + more > capacity()) throw new ContextOverflowException(length(), more, capacity());
    }

    long memoryBytes() {
        return state.memoryBytes();
    }

    @Override
    public void close() {
        state.close();
    }
}
