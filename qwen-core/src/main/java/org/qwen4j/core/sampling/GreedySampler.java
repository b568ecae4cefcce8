package org.qwen4j.core.sampling;

/** The most likely token; the lowest id wins a tie, as in llama.cpp. */
public final class GreedySampler implements Sampler {
    @Override
    public int sample(float[] logits, int vocab) {
        int best = 0;
        float max = logits[0];
        for (int i = 1; i < vocab; i++) {
            if (logits[i] > max) {
                max = logits[i];
                best = i;
            }
        }
        return best;
    }
}
