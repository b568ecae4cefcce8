package org.qwen4j.quant.convert;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * The tensors of a model source as a GGUF file lays them out. Most are the source's tensors as they
 * are. Mixture-of-experts layers are where layouts differ: GGUF (and llama.cpp's qwen2moe and qwen3moe
 * loaders) want one 3-D tensor per layer and projection, {@code blk.N.ffn_up_exps.weight} of shape
 * {@code [in, out, experts]}, while the Hugging Face provider presents a checkpoint that stores each
 * expert apart as 2-D tensors {@code blk.N.ffn_up_exps.E.weight}, and one with fused experts as
 * {@code blk.N.ffn_gate_up_exps.weight} ({@code [hidden, 2·width, experts]}, each expert's gate rows
 * then its up rows). Both become GGUF's stacked tensors here, as views of the source's data: nothing
 * is copied until the tensors are written.
 */
final class GgufTensorAssembly {
    private static final Pattern EXPERT = Pattern.compile("(blk\\.\\d+\\.ffn_(?:gate|up|down)_exps)\\.(\\d+)\\.weight");
    private static final Pattern FUSED = Pattern.compile("(blk\\.\\d+\\.)ffn_gate_up_exps\\.weight");

    private GgufTensorAssembly() {
    }

    static List<AssembledTensor> of(ModelSource source) {
        List<AssembledTensor> out = new ArrayList<>();
        Map<String, TreeMap<Integer, Tensor>> experts = new LinkedHashMap<>();
        for (Tensor t : source.tensors().values()) {
            Matcher expert = EXPERT.matcher(t.name());
            Matcher fused = FUSED.matcher(t.name());
            if (expert.matches()) {
                experts.computeIfAbsent(expert.group(1) + ".weight", k -> new TreeMap<>())
                        .put(Integer.parseInt(expert.group(2)), t);
            } else if (fused.matches()) {
                out.add(splitFused(source, t, fused.group(1) + "ffn_gate_exps.weight", 0));
                out.add(splitFused(source, t, fused.group(1) + "ffn_up_exps.weight", 1));
            } else {
                out.add(new AssembledTensor(t.name(), t.format(), t.shape(), List.of(t.data())));
            }
        }
        experts.forEach((name, byIndex) -> out.add(stack(source, name, byIndex)));
        return out;
    }

    /** Experts 0 … n-1 of one layer and projection, each {@code [in, out]}, as one {@code [in, out, n]} tensor. */
    private static AssembledTensor stack(ModelSource source, String name, TreeMap<Integer, Tensor> byIndex) {
        Tensor first = byIndex.firstEntry().getValue();
        if (byIndex.firstKey() != 0 || byIndex.lastKey() != byIndex.size() - 1) {
            throw new ModelFormatException(source.path(), first.name(), "the experts of " + name + " are numbered "
                    + byIndex.keySet() + ", not 0 to " + (byIndex.size() - 1));
        }
        List<MemorySegment> pieces = new ArrayList<>();
        for (Tensor t : byIndex.values()) {
            if (!Arrays.equals(t.shape(), first.shape()) || t.format().ggmlType() != first.format().ggmlType()
                    || t.shape().length != 2) {
                throw new ModelFormatException(source.path(), t.name(), "expert " + t + " does not match " + first
                        + "; the experts of a layer must be 2-D matrices of one shape and format");
            }
            pieces.add(t.data());
        }
        long[] s = first.shape();
        return new AssembledTensor(name, first.format(), new long[] {s[0], s[1], byIndex.size()}, pieces);
    }

    /** The gate ({@code part} 0) or up (1) half of every expert of a fused {@code [hidden, 2·width, experts]} tensor. */
    private static AssembledTensor splitFused(ModelSource source, Tensor fused, String name, int part) {
        long[] s = fused.shape();
        if (s.length != 3 || s[1] % 2 != 0) {
            throw new ModelFormatException(source.path(), fused.name(), "shape " + Arrays.toString(s)
                    + " is not [hidden, 2 * width, experts]");
        }
        long half = fused.format().byteSize(s[0] * (s[1] / 2));
        List<MemorySegment> pieces = new ArrayList<>();
        for (long e = 0; e < s[2]; e++) pieces.add(fused.data().asSlice((2 * e + part) * half, half));
        return new AssembledTensor(name, fused.format(), new long[] {s[0], s[1] / 2, s[2]}, pieces);
    }
}
