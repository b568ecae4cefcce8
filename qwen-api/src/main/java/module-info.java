/**
 * The qwen4j public API ({@code org.qwen4j}) and the service-provider interfaces
 * ({@code org.qwen4j.spi}) that implementation modules register with {@link java.util.ServiceLoader}.
 */
module org.qwen4j.api {
    exports org.qwen4j;
    exports org.qwen4j.spi;

    uses org.qwen4j.spi.EngineProvider;
    uses org.qwen4j.spi.ModelFormatProvider;
    uses org.qwen4j.spi.ArchitectureProvider;
    uses org.qwen4j.spi.BackendProvider;
    uses org.qwen4j.spi.TensorFormat;
    uses org.qwen4j.spi.TokenizerProvider;
}
