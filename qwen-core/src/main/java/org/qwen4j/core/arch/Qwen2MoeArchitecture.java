package org.qwen4j.core.arch;

import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/**
 * {@code qwen2moe}: Qwen1.5-MoE-A2.7B and Qwen2-57B-A14B. Qwen2 attention (QKV bias) with a mixture of
 * experts in every block: softmax router, top-k experts weighted by their probabilities as they are
 * (no renormalisation unless {@code qwen2moe.expert_weights_norm} says so), plus a shared expert
 * scaled by {@code sigmoid(ffn_gate_inp_shexp · x)}.
 */
public final class Qwen2MoeArchitecture implements ArchitectureProvider {
    @Override
    public boolean supports(String architecture) {
        return "qwen2moe".equals(architecture);
    }

    @Override
    public LanguageModel create(ModelSource source, Backend backend) {
        ExpertConfig experts = ExpertConfig.read(source, true, false);
        return new QwenTransformer(source, backend, false, true, MoeFeedForward.reader(experts));
    }
}
