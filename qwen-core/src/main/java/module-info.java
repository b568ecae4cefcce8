/**
 * The qwen4j engine: GGUF reader, F32/F16/BF16 formats, the GGUF byte-level BPE tokenizer, the
 * qwen2 architecture, samplers and the two CPU backends.
 */
module org.qwen4j.core {
    requires transitive org.qwen4j.api;
    requires jdk.incubator.vector;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    exports org.qwen4j.core;
    exports org.qwen4j.core.gguf;
    exports org.qwen4j.core.format;
    exports org.qwen4j.core.tokenizer;
    exports org.qwen4j.core.chat;
    exports org.qwen4j.core.sampling;
    exports org.qwen4j.core.arch;
    exports org.qwen4j.core.cpu;

    uses org.qwen4j.spi.ModelFormatProvider;
    uses org.qwen4j.spi.ArchitectureProvider;
    uses org.qwen4j.spi.BackendProvider;
    uses org.qwen4j.spi.TensorFormat;
    uses org.qwen4j.spi.TokenizerProvider;

    provides org.qwen4j.spi.EngineProvider with org.qwen4j.core.CoreEngine;
    provides org.qwen4j.spi.ModelFormatProvider with org.qwen4j.core.gguf.GgufModelFormat;
    provides org.qwen4j.spi.TensorFormat with
            org.qwen4j.core.format.F32Format,
            org.qwen4j.core.format.F16Format,
            org.qwen4j.core.format.BF16Format;
    provides org.qwen4j.spi.TokenizerProvider with org.qwen4j.core.tokenizer.GgufTokenizerProvider;
    provides org.qwen4j.spi.ArchitectureProvider with org.qwen4j.core.arch.Qwen2Architecture;
    provides org.qwen4j.spi.BackendProvider with
            org.qwen4j.core.cpu.SimdBackendProvider,
            org.qwen4j.core.cpu.ReferenceBackendProvider;
}
