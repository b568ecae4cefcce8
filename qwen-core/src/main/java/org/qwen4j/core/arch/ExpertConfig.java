package org.qwen4j.core.arch;

import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;

/**
 * The mixture-of-experts hyper-parameters, under llama.cpp's metadata keys.
 *
 * @param experts          {@code <arch>.expert_count}
 * @param used             {@code <arch>.expert_used_count}: experts each token is routed to (top-k)
 * @param width            {@code <arch>.expert_feed_forward_length}: each expert's inner width
 * @param sharedWidth      {@code <arch>.expert_shared_feed_forward_length}: the shared expert's inner
 *                         width, 0 when the architecture (or, saying 0, the model) has no shared expert
 * @param normalizeWeights {@code <arch>.expert_weights_norm}: whether the top-k routing weights are
 *                         rescaled to sum to 1 (Hugging Face's {@code norm_topk_prob})
 */
record ExpertConfig(int experts, int used, int width, int sharedWidth, boolean normalizeWeights) {

    /**
     * Reads the keys. A width the metadata leaves out is taken from block 0's tensors, as llama.cpp's
     * converter may omit it; {@code normalizeByDefault} is the family's rule when
     * {@code expert_weights_norm} is absent (llama.cpp hard-codes it per architecture: off for qwen2moe,
     * on for qwen3moe, and GGUF files of these families do not carry the key).
     */
    static ExpertConfig read(ModelSource source, boolean sharedExpert, boolean normalizeByDefault) {
        Metadata md = source.metadata();
        String p = md.getString("general.architecture") + ".";
        int experts = md.getInt(p + "expert_count", 1, 1 << 16);
        int used = md.getInt(p + "expert_used_count", 1, experts);
        int width = md.has(p + "expert_feed_forward_length")
                ? md.getInt(p + "expert_feed_forward_length", 1, 1 << 24)
                : new ExpertTensors(source, 0, experts).matrix("gate", 0).rows();
        int sharedWidth = !sharedExpert ? 0 : md.has(p + "expert_shared_feed_forward_length")
                ? md.getInt(p + "expert_shared_feed_forward_length", 0, 1 << 24)
                : source.tensor("blk.0.ffn_gate_shexp.weight").rows();
        return new ExpertConfig(experts, used, width, sharedWidth, md.getBoolean(p + "expert_weights_norm", normalizeByDefault));
    }
}
