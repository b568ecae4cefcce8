package org.qwen4j.core.arch;

import java.nio.file.Path;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * A mixture-of-experts feed-forward block (qwen2moe, qwen3moe). The router {@code ffn_gate_inp}
 * ({@code [hidden, experts]}) scores the experts for each token; the token goes to the
 * {@link ExpertConfig#used() top-k} of them, weighted by their softmax probability (renormalised over
 * the chosen ones when {@link ExpertConfig#normalizeWeights()}), and each expert is a SwiGLU network.
 * qwen2moe adds a shared expert that every token passes through, scaled by
 * {@code sigmoid(ffn_gate_inp_shexp · x)}.
 *
 * <p>Only the chosen experts' weights are read: the chunk's tokens are grouped by expert, and each
 * expert with at least one token runs once over its gathered rows (one batched product per matrix),
 * its output added back to its tokens' rows with their weights. A single-token decode step therefore
 * reads k experts and a prompt chunk reads each expert at most once.
 */
final class MoeFeedForward implements FeedForward {
    private final ExpertConfig config;
    private final SwiGlu[] experts;
    private final SwiGlu shared;
    /** The router, and the shared expert's gate as a one-row matrix when there is one, read as one product. */
    private final Tensor[] gates;

    private MoeFeedForward(ExpertConfig config, Tensor router, SwiGlu[] experts, SwiGlu shared, Tensor sharedGate) {
        this.config = config;
        this.experts = experts;
        this.shared = shared;
        this.gates = shared == null ? new Tensor[] {router} : new Tensor[] {router, sharedGate};
    }

    /** Reads the blocks' experts (and shared expert when {@code config} has one) in any of {@link ExpertTensors}' layouts. */
    static FeedForwardReader reader(ExpertConfig config) {
        return (source, layer, hidden) -> read(source, layer, hidden, config);
    }

    private static MoeFeedForward read(ModelSource source, int layer, int hidden, ExpertConfig c) {
        Path file = source.path();
        String p = "blk." + layer + ".";
        Tensor router = TensorChecks.matrix(file, source.tensor(p + "ffn_gate_inp.weight"), hidden, c.experts());
        ExpertTensors stacked = new ExpertTensors(source, layer, c.experts());
        SwiGlu[] experts = new SwiGlu[c.experts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = SwiGlu.checked(file, stacked.matrix("gate", e), stacked.matrix("up", e), stacked.matrix("down", e),
                    hidden, c.width());
        }
        if (c.sharedWidth() == 0) return new MoeFeedForward(c, router, experts, null, null);
        SwiGlu shared = SwiGlu.checked(file, source.tensor(p + "ffn_gate_shexp.weight"), source.tensor(p + "ffn_up_shexp.weight"),
                source.tensor(p + "ffn_down_shexp.weight"), hidden, c.sharedWidth());
        Tensor gate = source.tensor(p + "ffn_gate_inp_shexp.weight");
        TensorChecks.expectShape(file, gate, hidden, 1);
        // A [hidden] vector is a one-row matrix: the backend computes its dot with every token's row.
        Tensor gateRow = new Tensor(gate.name(), gate.format(), new long[] {hidden, 1}, gate.data());
        return new MoeFeedForward(c, router, experts, shared, gateRow);
    }

    @Override
    public void addInto(Backend backend, float[] normed, float[] residual, int batch, TransformerState state) {
        ExpertRouting r = state.routing;
        backend.matmul(gates, normed, r.gateOutputs, batch);
        r.route(batch, config.used(), config.normalizeWeights());
        for (int e = 0; e < experts.length; e++) {
            if (r.tokens(e) == 0) continue; // no token chose it: its weights are not read
            experts[e].apply(backend, r.inputOf(e, normed, batch), r.expertOut, r.tokens(e), state);
            r.scatterAdd(e, r.expertOut, residual);
        }
        if (shared != null) {
            int hidden = state.hidden;
            shared.apply(backend, normed, r.expertOut, batch, state);
            for (int b = 0; b < batch; b++) {
                float g = 1f / (1f + (float) Math.exp(-r.sharedGateLogits[b]));
                ExpertRouting.addScaled(residual, b * hidden, r.expertOut, b * hidden, g, hidden);
            }
        }
    }

    @Override
    public int width() {
        return Math.max(config.width(), config.sharedWidth());
    }

    @Override
    public int experts() {
        return experts.length;
    }
}
