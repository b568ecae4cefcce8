package org.qwen4j.core.arch;

import java.nio.file.Path;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.Tensor;

/**
 * One SwiGLU feed-forward network, {@code down · (silu(gate · x) ⊙ (up · x))}: the whole FFN of a
 * dense block, one expert of a mixture, or a mixture's shared expert. The matrices stay in the mapped
 * file (or are zero-copy slices of a stacked expert tensor).
 *
 * @param gate   {@code [hidden, width]}
 * @param up     {@code [hidden, width]}
 * @param down   {@code [width, hidden]}
 * @param gateUp gate and up, grouped so that one backend job computes both products of the same input
 */
record SwiGlu(Tensor gate, Tensor up, Tensor down, Tensor[] gateUp) {

    SwiGlu(Tensor gate, Tensor up, Tensor down) {
        this(gate, up, down, new Tensor[] {gate, up});
    }

    /** Checks the three matrices against the hidden size and the inner width. */
    static SwiGlu checked(Path file, Tensor gate, Tensor up, Tensor down, int hidden, int width) {
        return new SwiGlu(TensorChecks.matrix(file, gate, hidden, width), TensorChecks.matrix(file, up, hidden, width),
                TensorChecks.matrix(file, down, width, hidden));
    }

    /** The inner (intermediate) width. */
    int width() {
        return gate.rows();
    }

    /**
     * Writes the network's output for {@code batch} rows of {@code in} into {@code out}, using the
     * state's intermediate buffers; {@code out} may be {@code in}.
     */
    void apply(Backend backend, float[] in, float[] out, int batch, TransformerState s) {
        backend.matmul(gateUp, in, s.gateUp, batch);
        backend.swiglu(s.hb, s.hb2, batch * width());
        backend.matmul(down, s.hb, out, batch);
    }
}
