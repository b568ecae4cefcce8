package org.qwen4j.core.sampling;

import org.qwen4j.GenerationOptions;

/**
 * Repetition, presence and frequency penalties over the last {@code penaltyWindow} context tokens
 * (llama.cpp's semantics: a positive logit is divided by the repetition penalty, a negative one
 * multiplied), applied before the wrapped sampler picks.
 */
public final class PenaltySampler implements Sampler {
    private final Sampler next;
    private final float repeat;
    private final float presence;
    private final float frequency;
    private final int[] window;
    private int count;
    private int[] occurrences = new int[0];

    public PenaltySampler(GenerationOptions options, Sampler next) {
        this.next = next;
        this.repeat = (float) options.repeatPenalty();
        this.presence = (float) options.presencePenalty();
        this.frequency = (float) options.frequencyPenalty();
        this.window = new int[Math.max(1, options.penaltyWindow())];
    }

    @Override
    public void accept(int token) {
        window[count % window.length] = token;
        count++;
    }

    @Override
    public int sample(float[] logits, int vocab) {
        if (occurrences.length < vocab) occurrences = new int[vocab];
        int n = Math.min(count, window.length);
        for (int i = 0; i < n; i++) {
            int t = window[i];
            if (t < vocab) occurrences[t]++;
        }
        for (int i = 0; i < n; i++) {
            int t = window[i];
            if (t >= vocab || occurrences[t] == 0) continue;
            float l = logits[t];
            l = l > 0 ? l / repeat : l * repeat;
            l -= occurrences[t] * frequency + presence;
            logits[t] = l;
            occurrences[t] = 0; // each distinct token is penalised once
        }
        int picked = next.sample(logits, vocab);
        return picked;
    }
}
