/**
 * Service-provider interfaces. Implementation modules register providers in
 * {@code META-INF/services} and with {@code provides} in their {@code module-info.java}; the engine
 * finds them with {@link java.util.ServiceLoader} and picks by probe and priority, or by the name
 * a user gives the {@link org.qwen4j.ModelBuilder}.
 *
 * <p>The kinds: {@link org.qwen4j.spi.EngineProvider} (assembles a model),
 * {@link org.qwen4j.spi.ModelFormatProvider} (files to tensors and metadata),
 * {@link org.qwen4j.spi.TensorFormat} (block layouts and kernels),
 * {@link org.qwen4j.spi.TokenizerProvider}, {@link org.qwen4j.spi.ArchitectureProvider}
 * (the forward pass) and {@link org.qwen4j.spi.BackendProvider} (where the arithmetic runs).
 */
package org.qwen4j.spi;
