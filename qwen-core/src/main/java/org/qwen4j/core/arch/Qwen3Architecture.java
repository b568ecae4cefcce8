package org.qwen4j.core.arch;

import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/**
 * {@code qwen3}: dense Qwen3 models (0.6B … 32B). Differs from qwen2 by a per-head RMSNorm of
 * queries and keys before RoPE, no QKV bias, and a head width that need not be hidden / heads.
 */
public final class Qwen3Architecture implements ArchitectureProvider {
    @Override
    public boolean supports(String architecture) {
        return "qwen3".equals(architecture);
    }

    @Override
    public LanguageModel create(ModelSource source, Backend backend) {
        return new QwenTransformer(source, backend, true, false, DenseFeedForward::read);
    }
}
