package org.qwen4j.core;

import java.util.Arrays;
import org.qwen4j.KvCacheType;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelConfig;

/**
 * A language model whose logits follow a script: after the prompt, the n-th generated position puts
 * all probability on {@code script[n]}. It tests the decode loop without depending on what a real
 * model happens to generate.
 */
final class ScriptedModel implements LanguageModel {
    private final int vocab;
    private final int promptLength;
    private final int[] script;

    ScriptedModel(int vocab, int promptLength, int... script) {
        this.vocab = vocab;
        this.promptLength = promptLength;
        this.script = script;
    }

    @Override
    public ModelConfig config() {
        return new ModelConfig("scripted", 1, 8, 1, 1, 8, 8, vocab, 1024, 1e-6f, 10_000);
    }

    @Override
    public long weightBytes() {
        return 0;
    }

    @Override
    public long stateBytes(int contextLength, KvCacheType cacheType) {
        return 0;
    }

    @Override
    public InferenceState newState(int contextLength, KvCacheType cacheType) {
        return new InferenceState() {
            int position;

            @Override
            public int position() {
                return position;
            }

            @Override
            public int contextLength() {
                return contextLength;
            }

            @Override
            public void truncate(int p) {
                position = p;
            }

            @Override
            public long memoryBytes() {
                return 0;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void forward(InferenceState state, int[] tokens, int offset, int count, float[] logits, boolean allLogits) {
        int end = state.position() + count; // the next position to predict
        state.truncate(end);
        Arrays.fill(logits, 0, vocab, -10f);
        int step = end - promptLength;
        logits[script[Math.min(step, script.length - 1)]] = 10f;
    }
}
