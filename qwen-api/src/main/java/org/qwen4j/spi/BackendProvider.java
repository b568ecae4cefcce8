package org.qwen4j.spi;

/** A place where the arithmetic runs ({@code cpu-simd}, {@code cpu-reference}, later a GPU). */
public interface BackendProvider {
    String name();

    /** Higher wins when the user does not name a backend. */
    int priority();

    /** False when the machine cannot run it (no device, missing module). */
    boolean isAvailable();

    /** A backend with {@code threads} workers (0: one per core); the model that asked owns and closes it. */
    Backend create(int threads);
}
