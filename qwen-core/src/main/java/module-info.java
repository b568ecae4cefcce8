/**
 * The qwen4j engine: GGUF reader, Hugging Face checkpoint folders (safetensors, config.json,
 * tokenizer.json), F32/F16/BF16 formats, the byte-level BPE tokenizers of GGUF metadata and of
 * tokenizer.json, the qwen2, qwen3, qwen2moe and qwen3moe architectures, samplers and the two CPU backends.
 */
module org.qwen4j.core {
    requires transitive org.qwen4j.api;
    requires jdk.incubator.vector;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires jdk.management;

    uses org.qwen4j.spi.ModelFormatProvider;
    uses org.qwen4j.spi.ArchitectureProvider;
    uses org.qwen4j.spi.BackendProvider;
    uses org.qwen4j.spi.TensorFormat;
    uses org.qwen4j.spi.TokenizerProvider;

    exports org.qwen4j.core.gguf;
    exports org.qwen4j.core.hf;
    provides org.qwen4j.spi.ModelFormatProvider with
            org.qwen4j.core.gguf.GgufModelFormat,
            org.qwen4j.core.hf.HfCheckpointFormat;

    exports org.qwen4j.core.format;
    exports org.qwen4j.core.simd;
    provides org.qwen4j.spi.TensorFormat with
            org.qwen4j.core.format.F32Format,
            org.qwen4j.core.format.F16Format,
            org.qwen4j.core.format.BF16Format;

    exports org.qwen4j.core;
    provides org.qwen4j.spi.EngineProvider with org.qwen4j.core.CoreEngine;

    exports org.qwen4j.core.chat;
    exports org.qwen4j.core.sampling;

    exports org.qwen4j.core.arch;
    provides org.qwen4j.spi.ArchitectureProvider with
            org.qwen4j.core.arch.Qwen2Architecture,
            org.qwen4j.core.arch.Qwen3Architecture,
            org.qwen4j.core.arch.Qwen2MoeArchitecture,
            org.qwen4j.core.arch.Qwen3MoeArchitecture;

    exports org.qwen4j.core.cpu;
    provides org.qwen4j.spi.BackendProvider with
            org.qwen4j.core.cpu.SimdBackendProvider,
            org.qwen4j.core.cpu.ReferenceBackendProvider;

    exports org.qwen4j.core.tokenizer;
    provides org.qwen4j.spi.TokenizerProvider with
            org.qwen4j.core.tokenizer.GgufTokenizerProvider,
            org.qwen4j.core.tokenizer.TokenizerJsonProvider;
}
