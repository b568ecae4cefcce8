package org.qwen4j.quant.convert;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.TensorFormat;

/**
 * Which format every tensor of a model gets in a file of a given {@link FileType}, decided as
 * llama.cpp's quantizer decides it ({@code llama_tensor_get_type} in {@code src/llama-quant.cpp}),
 * restricted to the file types qwen4j writes:
 * <ul>
 *   <li>Only weight matrices are quantized: tensors of two or more dimensions whose name ends in
 *       {@code weight}, except norms, MoE routers ({@code ffn_gate_inp}) and the other small tensors
 *       llama.cpp leaves alone. The rest keep their data; float ones (norms and biases) are F32.</li>
 *   <li>For quantized file types the output matrix ({@code output.weight}, or {@code token_embd.weight}
 *       when the embeddings are tied) gets Q6_K unless the file type is Q8_0, or Q8_0 when its rows do
 *       not divide into the file type's blocks.</li>
 *   <li>Q4_K_M and Q5_K_M give Q6_K to the value projections and FFN-down matrices of the first and
 *       last eighth of the layers and of every third layer between ({@code use_more_bits}); models with
 *       eight experts get Q8_0 value and key projections (and Q5_K attention outputs under Q4_K_M);
 *       an 80-layer qwen2 (llama.cpp's "70B") gets Q5_K value projections instead of Q4_K.</li>
 *   <li>A row length that is not a multiple of the chosen format's block falls back as llama.cpp's
 *       {@code tensor_type_fallback} says: Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, then F16.</li>
 * </ul>
 * With {@code pure}, every weight matrix gets the file type's format (llama-quantize {@code --pure}).
 *
 * <p>When the format llama.cpp would pick is not installed (Q5_0, Q5_1 or a K-quant without its
 * provider on the module path), the tensor gets Q8_0 instead, which loses less; {@link #substitutions()}
 * lists each case, and {@link #fallbacks()} lists the row-length fallbacks as llama.cpp prints them.
 * Tensors are listed in llama.cpp's order (layer, then name), in which the mixtures count layers.
 */
public final class QuantizationPlan {
    /** Block sizes of the ggml types a decision can name, installed or not. */
    private static final Map<String, Integer> BLOCK_SIZES = Map.ofEntries(
            Map.entry("F32", 1), Map.entry("F16", 1), Map.entry("BF16", 1),
            Map.entry("Q4_0", 32), Map.entry("Q4_1", 32), Map.entry("Q5_0", 32), Map.entry("Q5_1", 32),
            Map.entry("Q8_0", 32), Map.entry("Q2_K", 256), Map.entry("Q3_K", 256), Map.entry("Q4_K", 256),
            Map.entry("Q5_K", 256), Map.entry("Q6_K", 256));
    /** Substrings of tensors llama.cpp never quantizes although they are weight matrices ({@code tensor_allows_quantization}). */
    private static final List<String> NEVER_QUANTIZED = List.of("_norm.weight", "ffn_gate_inp.weight",
            "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
            "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
            "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight",
            "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
            "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
            ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
            "a.rvq.codebook", "mm.a.code_embd");
    private static final List<String> NEVER_QUANTIZED_NAMES = List.of("position_embd.weight", "token_types.weight");

    private final FileType fileType;
    private final List<PlannedTensor> tensors;
    private final List<String> fallbacks;
    private final List<String> substitutions;

    private QuantizationPlan(FileType fileType, List<PlannedTensor> tensors, List<String> fallbacks,
            List<String> substitutions) {
        this.fileType = fileType;
        this.tensors = Collections.unmodifiableList(tensors);
        this.fallbacks = Collections.unmodifiableList(fallbacks);
        this.substitutions = Collections.unmodifiableList(substitutions);
    }

    /**
     * Plans a model described by its metadata ({@code general.architecture}, {@code <arch>.block_count},
     * {@code <arch>.expert_count}) and its tensors.
     *
     * @throws IllegalArgumentException when the file type's own format is not installed
     */
    public static QuantizationPlan create(Metadata metadata, Collection<GgufTensorInfo> tensors, FileType fileType,
            boolean pure) {
        format(fileType.defaultFormat()).orElseThrow(() -> new IllegalArgumentException("cannot write " + fileType
                + ": no provider of the " + fileType.defaultFormat() + " format is on the module path"));
        return new Planner(metadata, tensors, fileType, pure).plan();
    }

    public FileType fileType() {
        return fileType;
    }

    /** Every tensor with its output format, in llama.cpp's order. */
    public List<PlannedTensor> tensors() {
        return tensors;
    }

    /** The output format of a tensor. */
    public TensorFormat formatOf(String name) {
        for (PlannedTensor t : tensors) {
            if (t.name().equals(name)) return t.target();
        }
        throw new IllegalArgumentException("no tensor " + name + " in the plan");
    }

    /** Tensors whose rows do not divide into the chosen format's blocks, and what they got instead. */
    public List<String> fallbacks() {
        return fallbacks;
    }

    /** Tensors that got Q8_0 because the format llama.cpp would choose is not installed here. */
    public List<String> substitutions() {
        return substitutions;
    }

    private static Optional<TensorFormat> format(String name) {
        return TensorFormats.byName(name);
    }

    /** The state llama.cpp's {@code quantize_state_impl} keeps while it visits the tensors in order. */
    private static final class Planner {
        private final Collection<GgufTensorInfo> input;
        private final FileType type;
        private final boolean pure;
        private final boolean tiedEmbeddings;
        private final boolean seventyB;
        private final int layers;
        private final int experts;
        private final int attentionValues;
        private int attentionValueIndex;
        private int ffnDownIndex;
        private final List<String> fallbacks = new ArrayList<>();
        private final List<String> substitutions = new ArrayList<>();

        Planner(Metadata metadata, Collection<GgufTensorInfo> input, FileType type, boolean pure) {
            this.input = input;
            this.type = type;
            this.pure = pure;
            String arch = metadata.getString("general.architecture", "");
            this.layers = metadata.getInt(arch + ".block_count", 0, Integer.MAX_VALUE, 0);
            this.experts = metadata.getInt(arch + ".expert_count", 0, Integer.MAX_VALUE, 0);
            this.seventyB = arch.equals("qwen2") && layers == 80;
            this.tiedEmbeddings = input.stream().noneMatch(t -> TensorCategory.of(t.name()) == TensorCategory.OUTPUT);
            this.attentionValues = (int) input.stream().filter(t -> TensorCategory.of(t.name()).isAttentionValue()).count();
        }

        QuantizationPlan plan() {
            List<GgufTensorInfo> ordered = new ArrayList<>(input);
            ordered.sort(LlamaCppTensorOrder.INSTANCE);
            List<PlannedTensor> planned = new ArrayList<>();
            for (GgufTensorInfo t : ordered) planned.add(new PlannedTensor(t, choose(t)));
            return new QuantizationPlan(type, planned, fallbacks, substitutions);
        }

        private TensorFormat choose(GgufTensorInfo t) {
            if (!allowsQuantization(t)) {
                // Norms and biases: F32 whatever float type they came in, as llama.cpp's converters write them.
                return t.format().blockSize() == 1 ? format("F32").orElseThrow() : t.format();
            }
            String chosen = type.defaultFormat();
            if (BLOCK_SIZES.get(chosen) == 1) return format(chosen).orElseThrow();
            if (!pure) chosen = mixture(t, TensorCategory.of(t.name()), chosen);
            chosen = fallback(t, chosen);
            Optional<TensorFormat> f = format(chosen);
            if (f.isPresent()) return f.get();
            String substitute = t.shape()[0] % 32 == 0 ? "Q8_0" : "F16";
            substitutions.add(t.name() + ": " + chosen + " is not installed, using " + substitute);
            return format(substitute).orElseThrow();
        }

        /** {@code llama_tensor_get_type_impl} for Q8_0, Q4_0, Q4_K_M, Q5_K_M and Q6_K. */
        private String mixture(GgufTensorInfo t, TensorCategory category, String chosen) {
            if (category == TensorCategory.OUTPUT || (tiedEmbeddings && category == TensorCategory.TOKEN_EMBD)) {
                if (t.shape()[0] % BLOCK_SIZES.get(chosen) != 0) return "Q8_0";
                return chosen.equals("Q8_0") ? chosen : "Q6_K";
            }
            if (category == TensorCategory.TOKEN_EMBD) return chosen;
            if (category.isAttentionValue()) {
                if ((type == FileType.Q4_K_M || type == FileType.Q5_K_M)
                        && useMoreBits(attentionValueIndex, attentionValues)) {
                    chosen = "Q6_K";
                }
                if (seventyB && (chosen.equals("Q3_K") || chosen.equals("Q4_K"))) chosen = "Q5_K";
                if (experts == 8) chosen = "Q8_0";
                attentionValueIndex++;
                return chosen;
            }
            if (category == TensorCategory.ATTENTION_K) return experts == 8 ? "Q8_0" : chosen;
            if (category == TensorCategory.FFN_DOWN) {
                int layer = layerOf(t.name(), ffnDownIndex++);
                if ((type == FileType.Q4_K_M || type == FileType.Q5_K_M) && useMoreBits(layer, layers)) return "Q6_K";
                return chosen;
            }
            if (category == TensorCategory.ATTENTION_OUTPUT && experts == 8 && type == FileType.Q4_K_M) return "Q5_K";
            return chosen;
        }

        /** The layer of an FFN matrix: its position among them, or for MoE models (whose experts may be split) its name. */
        private int layerOf(String name, int counted) {
            if (experts <= 1) return counted;
            int layer = LlamaCppTensorOrder.layer(name);
            if (!name.startsWith("blk.") || layer < 0 || layer >= layers) {
                throw new IllegalArgumentException("cannot tell the layer of tensor " + name + " (the model has "
                        + layers + " blocks)");
            }
            return layer;
        }

        /** The first and last eighth of the layers, and every third layer between. */
        private static boolean useMoreBits(int layer, int count) {
            return layer < count / 8 || layer >= 7 * count / 8 || (layer - count / 8) % 3 == 2;
        }

        /** {@code tensor_type_fallback}: a smaller block for rows the chosen block does not divide. */
        private String fallback(GgufTensorInfo t, String chosen) {
            long columns = t.shape()[0];
            if (columns % BLOCK_SIZES.get(chosen) == 0) return chosen;
            String smaller = switch (chosen) {
                case "Q2_K", "Q3_K" -> "Q4_0";
                case "Q4_K" -> "Q5_0";
                case "Q5_K" -> "Q5_1";
                case "Q6_K" -> "Q8_0";
                default -> chosen;
            };
            if (columns % BLOCK_SIZES.get(smaller) != 0) smaller = "F16";
            fallbacks.add(t.name() + ": row length " + columns + " is not a multiple of the " + chosen + " block of "
                    + BLOCK_SIZES.get(chosen) + ", using " + smaller);
            return smaller;
        }

        private static boolean allowsQuantization(GgufTensorInfo t) {
            String name = t.name();
            if (dimensions(t.shape()) < 2 || !name.endsWith("weight")) return false;
            if (NEVER_QUANTIZED_NAMES.contains(name)) return false;
            for (String s : NEVER_QUANTIZED) {
                if (name.contains(s)) return false;
            }
            return true;
        }

        /** {@code ggml_n_dims}: trailing dimensions of size one do not count. */
        private static int dimensions(long[] shape) {
            int n = shape.length;
            while (n > 1 && shape[n - 1] == 1) n--;
            return n;
        }
    }
}
