package org.qwen4j.spi;

/** Keys and values of every layer for one sequence; the backend that made it owns where it lives. */
public interface KvCache extends AutoCloseable {
    int layers();

    int contextLength();

    long memoryBytes();

    /** Releases the cache's memory; the state that owns it is finished. */
    @Override
    void close();
}
