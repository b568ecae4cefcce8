package org.qwen4j.core.arch;

import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/** {@code qwen2}: Qwen1.5, Qwen2 and Qwen2.5 dense models (QKV bias, no per-head norms). */
public final class Qwen2Architecture implements ArchitectureProvider {
    @Override
    public boolean supports(String architecture) {
        return "qwen2".equals(architecture);
    }

    @Override
    public LanguageModel create(ModelSource source, Backend backend) {
        return new QwenTransformer(source, backend, false, true, DenseFeedForward::read);
    }
}
