package org.qwen4j.core.arch;

import java.util.Arrays;
import java.util.Optional;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * Finds one expert's matrices in whichever layout the model source has, and presents each as its own
 * 2-D tensor named {@code blk.N.ffn_{gate,up,down}_exps.E.weight}, without copying:
 * <ul>
 * <li>GGUF stacks a layer's experts into one 3-D tensor {@code blk.N.ffn_gate_exps.weight} of shape
 * {@code [in, out, experts]}; expert {@code E}'s matrix is the contiguous slice {@code E} of it.</li>
 * <li>Hugging Face checkpoints that store each expert apart are exposed by the {@code hf} provider as
 * {@code blk.N.ffn_gate_exps.E.weight} already.</li>
 * <li>Checkpoints with fused experts ({@code blk.N.ffn_gate_up_exps.weight}, {@code [hidden, 2·width,
 * experts]}) hold, per expert, the gate rows followed by the up rows.</li>
 * </ul>
 */
final class ExpertTensors {
    private final ModelSource source;
    private final String prefix;
    private final int experts;

    /** The experts of block {@code layer}, of which there are {@code experts}. */
    ExpertTensors(ModelSource source, int layer, int experts) {
        this.source = source;
        this.prefix = "blk." + layer + ".";
        this.experts = experts;
    }

    /** Expert {@code e}'s gate, up or down matrix ({@code kind} is {@code gate}, {@code up} or {@code down}). */
    Tensor matrix(String kind, int e) {
        String name = prefix + "ffn_" + kind + "_exps." + e + ".weight";
        Optional<Tensor> stacked = source.findTensor(prefix + "ffn_" + kind + "_exps.weight");
        if (stacked.isPresent()) return slice(stacked.get(), name, e, 0, 1);
        Optional<Tensor> alone = source.findTensor(name);
        if (alone.isPresent()) return alone.get();
        Optional<Tensor> fused = kind.equals("down") ? Optional.empty() : source.findTensor(prefix + "ffn_gate_up_exps.weight");
        if (fused.isPresent()) return slice(fused.get(), name, e, kind.equals("gate") ? 0 : 1, 2);
        throw new ModelFormatException(source.path(), prefix + "ffn_" + kind + "_exps.weight",
                "required tensor is missing (nor is there " + name + ")");
    }

    /**
     * Part {@code part} of {@code parts} equal row ranges of expert {@code e}'s slice of a stacked
     * {@code [in, out, experts]} tensor, as a {@code [in, out / parts]} matrix.
     */
    private Tensor slice(Tensor stacked, String name, int e, int part, int parts) {
        long[] s = stacked.shape();
        if (s.length != 3 || s[2] != experts || s[1] % parts != 0) {
            throw new ModelFormatException(source.path(), stacked.name(), "shape " + Arrays.toString(s)
                    + " is not [in, out, " + experts + "]" + (parts > 1 ? " with an even out" : ""));
        }
        long rows = s[1] / parts;
        long bytes = stacked.format().byteSize(s[0] * rows);
        long offset = stacked.format().byteSize(s[0] * s[1]) * e + bytes * part;
        return new Tensor(name, stacked.format(), new long[] {s[0], rows}, stacked.data().asSlice(offset, bytes));
    }
}
