package org.qwen4j.spi;

/** Keys and values of every layer for one sequence; the backend that made it owns where it lives. */
public interface KvCache {
    int layers();

    int contextLength();

    long memoryBytes();
}
