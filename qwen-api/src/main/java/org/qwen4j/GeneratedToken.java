package org.qwen4j;

/**
 * One generated token as it streams out.
 *
 * @param index position among the generated tokens, from 0
 * @param id    token id
 * @param text  the text this token completes; empty while a multi-byte character is still partial
 *              and for the {@code <think>}/{@code </think>} markers themselves
 * @param thinking true inside a Qwen3 {@code <think>…</think>} block: reasoning, not the answer
 */
public record GeneratedToken(int index, int id, String text, boolean thinking) {
}
