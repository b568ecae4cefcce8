package org.qwen4j;

/** Why generation stopped. */
public enum FinishReason {
    /** The model produced an end-of-generation token. */
    END_OF_GENERATION,
    /** A stop string of the options appeared in the text. */
    STOP_STRING,
    /** The options' {@code maxTokens} was reached. */
    MAX_TOKENS,
    /** The context window is full. */
    CONTEXT_FULL,
    /** The caller stopped consuming the stream or cancelled. */
    CANCELLED
}
