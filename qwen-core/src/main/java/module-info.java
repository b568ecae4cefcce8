/**
 * The qwen4j engine: GGUF reader, F32/F16/BF16 formats, the GGUF byte-level BPE tokenizer, the
 * qwen2 architecture, samplers and the two CPU backends.
 */
module org.qwen4j.core {
    requires transitive org.qwen4j.api;
    requires jdk.incubator.vector;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    uses org.qwen4j.spi.ModelFormatProvider;
    uses org.qwen4j.spi.ArchitectureProvider;
    uses org.qwen4j.spi.BackendProvider;
    uses org.qwen4j.spi.TensorFormat;
    uses org.qwen4j.spi.TokenizerProvider;

    // exports and provides: one block per package, added as the packages appear

    exports org.qwen4j.core.format;
    provides org.qwen4j.spi.TensorFormat with
            org.qwen4j.core.format.F32Format,
            org.qwen4j.core.format.F16Format,
            org.qwen4j.core.format.BF16Format;
}
