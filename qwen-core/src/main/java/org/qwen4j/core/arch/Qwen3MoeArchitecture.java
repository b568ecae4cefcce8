package org.qwen4j.core.arch;

import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/**
 * {@code qwen3moe}: Qwen3-30B-A3B and Qwen3-235B-A22B. Qwen3 attention (per-head Q/K norms, no bias,
 * {@code key_length} head width) with a mixture of experts in every block and no shared expert: the
 * top-k routing weights are renormalised to sum to 1, as llama.cpp does for this family and Hugging
 * Face does with {@code norm_topk_prob} (a {@code qwen3moe.expert_weights_norm} key overrides it).
 */
public final class Qwen3MoeArchitecture implements ArchitectureProvider {
    @Override
    public boolean supports(String architecture) {
        return "qwen3moe".equals(architecture);
    }

    @Override
    public LanguageModel create(ModelSource source, Backend backend) {
        ExpertConfig experts = ExpertConfig.read(source, false, true);
        return new QwenTransformer(source, backend, true, false, MoeFeedForward.reader(experts));
    }
}
