package org.qwen4j;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How to pick tokens and when to stop. Immutable; each {@code withX} returns a copy.
 *
 * <pre>{@code
 * GenerationOptions greedy = GenerationOptions.greedy().maxTokens(64);
 * GenerationOptions creative = GenerationOptions.sampling(0.8).topP(0.95).seed(42);
 * }</pre>
 *
 * @param maxTokens         most tokens to generate
 * @param temperature       0 for greedy decoding, otherwise the softmax temperature
 * @param topK              keep the k most likely tokens (0: off)
 * @param topP              keep the smallest set whose probability reaches p (1: off)
 * @param minP              drop tokens below minP times the best probability (0: off)
 * @param repeatPenalty     divide positive (multiply negative) logits of recent tokens (1: off)
 * @param presencePenalty   subtract from logits of tokens already generated (0: off)
 * @param frequencyPenalty  subtract per occurrence of tokens already generated (0: off)
 * @param penaltyWindow     how many recent tokens the penalties look at
 * @param seed              random seed; empty picks a fresh one per generation
 * @param stopStrings       stop when the text contains one of these (not included in the result)
 * @param ignoreEos         keep generating past end-of-generation tokens
 * @param enableThinking    let a reasoning model (Qwen3) think before answering; false renders the
 *                          chat template's non-thinking prompt
 */
public record GenerationOptions(int maxTokens, double temperature, int topK, double topP, double minP,
                                double repeatPenalty, double presencePenalty, double frequencyPenalty,
                                int penaltyWindow, OptionalLong seed, List<String> stopStrings,
                                boolean ignoreEos, boolean enableThinking) {

    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP < 1)) throw new IllegalArgumentException("minP must be in [0, 1), got " + minP);
        if (!(repeatPenalty > 0)) throw new IllegalArgumentException("repeatPenalty must be > 0, got " + repeatPenalty);
        if (penaltyWindow < 0) throw new IllegalArgumentException("penaltyWindow must be >= 0, got " + penaltyWindow);
        Objects.requireNonNull(seed, "seed");
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    /** Always the most likely token: reproducible and best for tests. */
    public static GenerationOptions greedy() {
        return new GenerationOptions(256, 0, 0, 1, 0, 1, 0, 0, 64, OptionalLong.empty(), List.of(), false, true);
    }

    /** Random sampling at the given temperature, no other filters. */
    public static GenerationOptions sampling(double temperature) {
        return greedy().temperature(temperature);
    }

    /** Qwen2.5-Instruct's recommended sampling: temperature 0.7, top-p 0.8, top-k 20, repetition 1.05. */
    public static GenerationOptions qwenDefaults() {
        return sampling(0.7).topP(0.8).topK(20).repeatPenalty(1.05);
    }

    public GenerationOptions maxTokens(int v) {
        return new GenerationOptions(v, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions temperature(double v) {
        return new GenerationOptions(maxTokens, v, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions topK(int v) {
        return new GenerationOptions(maxTokens, temperature, v, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions topP(double v) {
        return new GenerationOptions(maxTokens, temperature, topK, v, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions minP(double v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, v, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions repeatPenalty(double v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, v, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions presencePenalty(double v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, v,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions frequencyPenalty(double v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                v, penaltyWindow, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions penaltyWindow(int v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, v, seed, stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions seed(long v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, OptionalLong.of(v), stopStrings, ignoreEos, enableThinking);
    }

    public GenerationOptions stopStrings(List<String> v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, v, ignoreEos, enableThinking);
    }

    public GenerationOptions ignoreEos(boolean v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, v, enableThinking);
    }

    public GenerationOptions enableThinking(boolean v) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty, presencePenalty,
                frequencyPenalty, penaltyWindow, seed, stopStrings, ignoreEos, v);
    }

    /** Qwen3's recommendation for thinking mode: temperature 0.6, top-p 0.95, top-k 20. */
    public static GenerationOptions qwen3Thinking() {
        return sampling(0.6).topP(0.95).topK(20);
    }

    /** Qwen3's recommendation without thinking: temperature 0.7, top-p 0.8, top-k 20, thinking off. */
    public static GenerationOptions qwen3NonThinking() {
        return sampling(0.7).topP(0.8).topK(20).enableThinking(false);
    }

    /** True when every step takes the most likely token. */
    public boolean isGreedy() {
        return temperature == 0;
    }
}
