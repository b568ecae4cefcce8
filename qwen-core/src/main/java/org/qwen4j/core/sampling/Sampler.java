package org.qwen4j.core.sampling;

/** Picks the next token from a row of logits. Implementations may modify the logits in place. */
public interface Sampler {
    int sample(float[] logits, int vocab);

    /** The sampler the options describe: penalties, then greedy or the top-k/top-p/min-p/temperature chain. */
    static Sampler of(org.qwen4j.GenerationOptions options, long seed) {
        Sampler pick = options.isGreedy() ? new GreedySampler() : new DistributionSampler(options, seed);
        return options.repeatPenalty() != 1 || options.presencePenalty() != 0 || options.frequencyPenalty() != 0
                ? new PenaltySampler(options, pick) : pick;
    }

    /** Records a token that became part of the context (prompt or generated), for penalties. */
    default void accept(int token) {
    }
}
