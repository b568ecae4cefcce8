package org.qwen4j.spi;

/** The mutable part of a forward pass: KV cache, position and scratch buffers of one sequence. */
public interface InferenceState extends AutoCloseable {
    /** Tokens already evaluated. */
    int position();

    /** Capacity in tokens. */
    int contextLength();

    /** Forgets every token at {@code position} and after, so the sequence can go on from there. */
    void truncate(int position);

    /** Bytes held by the KV cache and buffers. */
    long memoryBytes();

    @Override
    void close();
}
