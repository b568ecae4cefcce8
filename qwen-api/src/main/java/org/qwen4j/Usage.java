package org.qwen4j;

/**
 * Counts and speed of one generation.
 *
 * @param promptTokens        tokens evaluated for the prompt (new tokens only when a session reuses its cache)
 * @param generatedTokens     tokens generated
 * @param timeToFirstTokenNanos from the call until the first generated token was sampled
 * @param totalNanos          from the call until generation ended
 */
public record Usage(int promptTokens, int generatedTokens, long timeToFirstTokenNanos, long totalNanos) {

    /** Prompt evaluation speed in tokens per second. */
    public double promptTokensPerSecond() {
        return timeToFirstTokenNanos <= 0 ? 0 : promptTokens * 1e9 / timeToFirstTokenNanos;
    }

    /** Generation speed in tokens per second, after the first token. */
    public double tokensPerSecond() {
        long decode = totalNanos - timeToFirstTokenNanos;
        return generatedTokens <= 1 || decode <= 0 ? 0 : (generatedTokens - 1) * 1e9 / decode;
    }
}
