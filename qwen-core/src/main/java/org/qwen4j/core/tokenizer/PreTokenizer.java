package org.qwen4j.core.tokenizer;

/**
 * Cuts text into words before any merge runs; BPE then works inside each word, so no token ever
 * spans two words. Implementations are stateless and thread-safe.
 */
interface PreTokenizer {

    /** Receives one word as the char range {@code [start, end)} of the text being split. */
    @FunctionalInterface
    interface WordSink {
        void word(int start, int end);
    }

    /** Splits the chars {@code [start, end)} of {@code text} into words, in order, covering every char. */
    void split(String text, int start, int end, WordSink sink);
}
