package org.qwen4j;

/**
 * The result of one generation.
 *
 * @param text         the generated text (end-of-generation tokens and stop strings excluded)
 * @param promptIds    the prompt's token ids
 * @param ids          the generated token ids (a final end-of-generation token excluded)
 * @param finishReason why it stopped
 * @param usage        counts and timings
 */
public record Completion(String text, int[] promptIds, int[] ids, FinishReason finishReason, Usage usage) {
}
