package org.qwen4j.core.arch;

import org.qwen4j.spi.Backend;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;

/** The feed-forward network of a dense block: one SwiGLU of {@code <arch>.feed_forward_length}. */
record DenseFeedForward(SwiGlu network) implements FeedForward {

    /** Reads {@code blk.N.ffn_{gate,up,down}.weight}. */
    static DenseFeedForward read(ModelSource source, int layer, int hidden) {
        Metadata md = source.metadata();
        int width = md.getInt(md.getString("general.architecture") + ".feed_forward_length", 1, 1 << 24);
        String p = "blk." + layer + ".";
        return new DenseFeedForward(SwiGlu.checked(source.path(), source.tensor(p + "ffn_gate.weight"),
                source.tensor(p + "ffn_up.weight"), source.tensor(p + "ffn_down.weight"), hidden, width));
    }

    @Override
    public void addInto(Backend backend, float[] normed, float[] residual, int batch, TransformerState state) {
        network.apply(backend, normed, normed, batch, state);
        backend.add(residual, normed, batch * state.hidden);
    }

    @Override
    public int width() {
        return network.width();
    }

    @Override
    public int experts() {
        return 0;
    }
}
