package org.qwen4j;

/**
 * The result of one generation.
 *
 * @param text         the answer (end-of-generation tokens, stop strings and the thinking block excluded)
 * @param thinking     what a reasoning model wrote inside {@code <think>…</think>}, or empty
 * @param promptIds    the prompt's token ids
 * @param ids          the generated token ids (a final end-of-generation token excluded)
 * @param finishReason why it stopped
 * @param usage        counts and timings
 */
public record Completion(String text, String thinking, int[] promptIds, int[] ids, FinishReason finishReason,
                         Usage usage) {
}
