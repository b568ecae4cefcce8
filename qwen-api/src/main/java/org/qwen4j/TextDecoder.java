package org.qwen4j;

/**
 * Turns a stream of token ids into text without ever emitting half of a UTF-8 character:
 * bytes of an incomplete character wait until the token that completes them.
 */
public interface TextDecoder {

    /** Adds one token and returns the text it completes (possibly empty). */
    String append(int id);

    /** Returns whatever is pending, with incomplete bytes replaced by U+FFFD, and resets. */
    String flush();
}
