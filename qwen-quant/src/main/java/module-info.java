/**
 * Quantized tensor formats beyond F32/F16/BF16 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants
 * Q2_K … Q6_K): block layouts, the llama.cpp reference quantizers, scalar dequantizers and Vector
 * API dot kernels, registered as {@link org.qwen4j.spi.TensorFormat} services; and the converter
 * that writes models as GGUF files of any of these formats ({@code org.qwen4j.quant.convert}).
 */
module org.qwen4j.quant {
    requires transitive org.qwen4j.api;
    requires transitive org.qwen4j.core;
    requires jdk.incubator.vector;

    exports org.qwen4j.quant;
    exports org.qwen4j.quant.convert;

    uses org.qwen4j.spi.ModelFormatProvider;

    provides org.qwen4j.spi.TensorFormat with
            org.qwen4j.quant.Q8_0Format,
            org.qwen4j.quant.Q4_0Format,
            org.qwen4j.quant.Q4_1Format,
            org.qwen4j.quant.Q5_0Format,
            org.qwen4j.quant.Q5_1Format,
            org.qwen4j.quant.Q2_KFormat,
            org.qwen4j.quant.Q3_KFormat,
            org.qwen4j.quant.Q4_KFormat,
            org.qwen4j.quant.Q5_KFormat,
            org.qwen4j.quant.Q6_KFormat;
}
