package org.qwen4j.core.hf;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face tensor names of the Qwen families, as GGUF names (what llama.cpp's
 * {@code convert_hf_to_gguf.py} writes):
 *
 * <pre>
 * model.embed_tokens.weight                      token_embd.weight
 * model.norm.weight                              output_norm.weight
 * lm_head.weight                                 output.weight          (dropped when tied)
 * model.layers.N.input_layernorm.weight          blk.N.attn_norm.weight
 * model.layers.N.self_attn.{q,k,v}_proj.*        blk.N.attn_{q,k,v}.*   (.weight and .bias)
 * model.layers.N.self_attn.o_proj.*              blk.N.attn_output.*
 * model.layers.N.self_attn.{q,k}_norm.weight     blk.N.attn_{q,k}_norm.weight
 * model.layers.N.post_attention_layernorm.weight blk.N.ffn_norm.weight
 * model.layers.N.mlp.{gate,up,down}_proj.weight  blk.N.ffn_{gate,up,down}.weight
 * </pre>
 *
 * Mixture-of-experts layers (qwen2moe, qwen3moe):
 *
 * <pre>
 * model.layers.N.mlp.gate.weight                          blk.N.ffn_gate_inp.weight
 * model.layers.N.mlp.shared_expert.{gate,up,down}_proj.weight  blk.N.ffn_{gate,up,down}_shexp.weight
 * model.layers.N.mlp.shared_expert_gate.weight            blk.N.ffn_gate_inp_shexp.weight (shape [hidden])
 * model.layers.N.mlp.experts.E.{gate,up,down}_proj.weight blk.N.ffn_{gate,up,down}_exps.E.weight
 * model.layers.N.mlp.experts.gate_up_proj[.weight]        blk.N.ffn_gate_up_exps.weight (3-D, fused)
 * model.layers.N.mlp.experts.down_proj[.weight]           blk.N.ffn_down_exps.weight (3-D)
 * </pre>
 *
 * GGUF stacks the experts of a layer into one 3-D tensor ({@code ffn_gate_exps} …, shape
 * {@code [in, out, experts]}). A checkpoint that stores each expert apart cannot be presented that way
 * without copying, so each expert stays its own 2-D tensor, named after the GGUF tensor it is a slice
 * of with the expert's index before the suffix: {@code blk.3.ffn_up_exps.7.weight} is expert 7's slice
 * of {@code blk.3.ffn_up_exps.weight}. A MoE architecture reads either form. Checkpoints written with
 * fused 3-D expert tensors (newer transformers) map to GGUF's 3-D names directly.
 *
 * <p>Any other name (vision towers, multi-token-prediction heads, rotary caches) is kept as it is:
 * the architectures never ask for it, and renaming it would only hide where it came from.
 */
final class HfTensorNames {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d{1,9})\\.(.+)");
    private static final Pattern EXPERT = Pattern.compile("mlp\\.experts\\.(\\d{1,9})\\.(gate|up|down)_proj\\.weight");

    private static final Map<String, String> LAYER_SUFFIXES = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.o_proj.bias", "attn_output.bias"),
            Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
            Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"),
            Map.entry("mlp.gate.weight", "ffn_gate_inp.weight"),
            Map.entry("mlp.shared_expert.gate_proj.weight", "ffn_gate_shexp.weight"),
            Map.entry("mlp.shared_expert.up_proj.weight", "ffn_up_shexp.weight"),
            Map.entry("mlp.shared_expert.down_proj.weight", "ffn_down_shexp.weight"),
            Map.entry("mlp.shared_expert_gate.weight", "ffn_gate_inp_shexp.weight"),
            Map.entry("mlp.experts.gate_up_proj", "ffn_gate_up_exps.weight"),
            Map.entry("mlp.experts.gate_up_proj.weight", "ffn_gate_up_exps.weight"),
            Map.entry("mlp.experts.down_proj", "ffn_down_exps.weight"),
            Map.entry("mlp.experts.down_proj.weight", "ffn_down_exps.weight"));

    /** The Hugging Face name of the untied output head, which tied checkpoints sometimes store anyway. */
    static final String LM_HEAD = "lm_head.weight";
    /** The GGUF name of the embedding table, whose row count is the vocabulary size. */
    static final String TOKEN_EMBEDDING = "token_embd.weight";
    /** The GGUF name of the shared-expert gate, a vector in GGUF but a [1, hidden] matrix in Hugging Face files. */
    static final String SHARED_EXPERT_GATE = "ffn_gate_inp_shexp.weight";

    private HfTensorNames() {
    }

    /** The GGUF name of a Hugging Face tensor, or the name itself when it is not one of the table's. */
    static String toGguf(String hfName) {
        switch (hfName) {
            case "model.embed_tokens.weight" -> {
                return TOKEN_EMBEDDING;
            }
            case "model.norm.weight" -> {
                return "output_norm.weight";
            }
            case LM_HEAD -> {
                return "output.weight";
            }
            default -> {
                // not a top-level tensor; maybe a layer's
            }
        }
        Matcher layer = LAYER.matcher(hfName);
        if (!layer.matches()) return hfName;
        String block = "blk." + Integer.parseInt(layer.group(1)) + ".";
        String suffix = layer.group(2);
        String mapped = LAYER_SUFFIXES.get(suffix);
        if (mapped != null) return block + mapped;
        Matcher expert = EXPERT.matcher(suffix);
        if (expert.matches()) {
            return block + "ffn_" + expert.group(2) + "_exps." + Integer.parseInt(expert.group(1)) + ".weight";
        }
        return hfName;
    }
}
