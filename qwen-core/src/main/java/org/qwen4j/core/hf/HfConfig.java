package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qwen4j.ModelFormatException;

/**
 * The {@code config.json} of a Qwen checkpoint ({@code Qwen2ForCausalLM}, {@code Qwen3ForCausalLM},
 * {@code Qwen2MoeForCausalLM}, {@code Qwen3MoeForCausalLM}), checked and restated as the GGUF
 * hyper-parameter keys that llama.cpp's {@code convert_hf_to_gguf.py} writes for it, so that the
 * architectures read a checkpoint folder and its GGUF conversion alike:
 *
 * <pre>
 * hidden_size                  &lt;arch&gt;.embedding_length
 * num_hidden_layers            &lt;arch&gt;.block_count
 * num_attention_heads          &lt;arch&gt;.attention.head_count
 * num_key_value_heads          &lt;arch&gt;.attention.head_count_kv
 * head_dim                     &lt;arch&gt;.attention.key_length and .value_length
 * intermediate_size            &lt;arch&gt;.feed_forward_length
 * max_position_embeddings      &lt;arch&gt;.context_length
 * rms_norm_eps                 &lt;arch&gt;.attention.layer_norm_rms_epsilon
 * rope_theta                   &lt;arch&gt;.rope.freq_base
 * rope_scaling.rope_type|type  &lt;arch&gt;.rope.scaling.type (linear, yarn)
 * rope_scaling.factor          &lt;arch&gt;.rope.scaling.factor
 * rope_scaling.original_max_position_embeddings  &lt;arch&gt;.rope.scaling.original_context_length
 * rope_scaling.beta_fast, beta_slow, attention_factor, extrapolation_factor
 *                              &lt;arch&gt;.rope.scaling.yarn_beta_fast, yarn_beta_slow, yarn_attn_factor, yarn_ext_factor
 * num_experts                  &lt;arch&gt;.expert_count
 * num_experts_per_tok          &lt;arch&gt;.expert_used_count
 * moe_intermediate_size        &lt;arch&gt;.expert_feed_forward_length
 * shared_expert_intermediate_size  &lt;arch&gt;.expert_shared_feed_forward_length
 * norm_topk_prob               &lt;arch&gt;.expert_weights_norm
 * </pre>
 *
 * As in the converter, a key is written only when the config has the field, so the architectures'
 * defaults apply otherwise; {@code head_dim} is written only when given. Transformers 5 moves the
 * RoPE fields into {@code rope_parameters}, which is read the same way. Values GGUF stores as 32-bit
 * floats are rounded to float here, so the engine gets bit-identical hyper-parameters from a folder
 * and from its conversion. {@code torch_dtype} is not used: fine-tunes are known to state it wrongly,
 * so the dtypes in the safetensors headers decide (see {@link HfCheckpointFormat}).
 * {@code decoder_sparse_step} and {@code mlp_only_layers} (dense layers among MoE ones) and the
 * sliding-window fields are ignored, as llama.cpp ignores them for these families.
 */
final class HfConfig {
    static final String FILE = "config.json";
    /** A config.json is a few kilobytes; the cap keeps a wrong file from being read into memory. */
    private static final long MAX_BYTES = 16L << 20;
    /** Vocabulary ids must fit the BPE tables (21 bits), far above the largest Qwen vocabulary (~250k). */
    static final int MAX_VOCABULARY = 1 << 21;

    private static final Map<String, String> ARCHITECTURES = Map.of(
            "Qwen2ForCausalLM", "qwen2",
            "Qwen3ForCausalLM", "qwen3",
            "Qwen2MoeForCausalLM", "qwen2moe",
            "Qwen3MoeForCausalLM", "qwen3moe");
    private static final Map<String, String> MODEL_TYPES = Map.of(
            "qwen2", "qwen2", "qwen3", "qwen3", "qwen2_moe", "qwen2moe", "qwen3_moe", "qwen3moe");

    private final Path file;
    private final String architecture;
    private final boolean tiedEmbeddings;
    private final int vocabularySize;
    private final Map<String, Integer> specialTokenIds;
    private final Map<String, Object> metadata;

    private HfConfig(Path file, String architecture, boolean tiedEmbeddings, int vocabularySize,
                     Map<String, Integer> specialTokenIds, Map<String, Object> metadata) {
        this.file = file;
        this.architecture = architecture;
        this.tiedEmbeddings = tiedEmbeddings;
        this.vocabularySize = vocabularySize;
        this.specialTokenIds = specialTokenIds;
        this.metadata = metadata;
    }

    /** Reads and checks {@code config.json}. */
    static HfConfig read(Path file) {
        JsonFields c = JsonFields.read(file, MAX_BYTES);
        String arch = architecture(c);
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", arch);
        String p = arch + ".";

        if (c.has("hidden_act") && !"silu".equals(c.string("hidden_act"))) {
            throw c.error("hidden_act", "activation \"" + c.string("hidden_act") + "\" is not supported (Qwen uses silu)");
        }
        int hidden = c.intValue("hidden_size", 1, 1 << 20);
        int layers = c.intValue("num_hidden_layers", 1, 1 << 12);
        int heads = c.intValue("num_attention_heads", 1, 1 << 12);
        md.put(p + "block_count", (long) layers);
        md.put(p + "context_length", c.integer("max_position_embeddings", 1, 1 << 24));
        md.put(p + "embedding_length", (long) hidden);
        boolean moe = arch.endsWith("moe");
        if (!moe || c.has("intermediate_size")) {
            md.put(p + "feed_forward_length", c.integer("intermediate_size", 1, 1 << 24));
        }
        md.put(p + "attention.head_count", (long) heads);
        if (c.has("num_key_value_heads")) {
            int kvHeads = c.intValue("num_key_value_heads", 1, heads);
            if (heads % kvHeads != 0) {
                throw c.error("num_key_value_heads", "num_attention_heads " + heads + " is not a multiple of " + kvHeads);
            }
            md.put(p + "attention.head_count_kv", (long) kvHeads);
        }
        if (c.has("head_dim")) {
            long headDim = c.integer("head_dim", 1, 1 << 12);
            md.put(p + "attention.key_length", headDim);
            md.put(p + "attention.value_length", headDim);
        } else if (hidden % heads != 0) {
            throw c.error("head_dim", "is missing and hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        if (c.has("rms_norm_eps")) {
            md.put(p + "attention.layer_norm_rms_epsilon", asFloat(c.number("rms_norm_eps", Double.MIN_VALUE, 1)));
        }
        JsonFields rope = c.object("rope_parameters");
        JsonFields ropeSource = rope != null ? rope : c;
        if (ropeSource.has("rope_theta")) {
            md.put(p + "rope.freq_base", asFloat(ropeSource.number("rope_theta", Double.MIN_VALUE, Double.MAX_VALUE)));
        }
        ropeScaling(rope != null ? rope : c.object("rope_scaling"), p, md);
        if (moe) experts(c, p, md);

        int vocabulary = c.intValue("vocab_size", 1, MAX_VOCABULARY);
        // transformers' own default for these classes is untied; Qwen's small models say true explicitly.
        boolean tied = c.bool("tie_word_embeddings", false);
        Map<String, Integer> special = new LinkedHashMap<>();
        for (String role : List.of("bos", "eos", "pad")) {
            Integer id = tokenId(c, role + "_token_id", vocabulary);
            if (id != null) special.put(role, id);
        }
        return new HfConfig(file, arch, tied, vocabulary, special, md);
    }

    private static String architecture(JsonFields c) {
        if (c.has("architectures")) {
            List<JsonNode> names = c.array("architectures");
            for (JsonNode n : names) {
                if (n.isTextual() && ARCHITECTURES.containsKey(n.textValue())) return ARCHITECTURES.get(n.textValue());
            }
            throw c.error("architectures", "none of " + names + " is supported (known: "
                    + String.join(", ", ARCHITECTURES.keySet().stream().sorted().toList()) + ")");
        }
        String type = c.string("model_type", null);
        if (type == null) throw c.error("architectures", "is missing, and so is model_type");
        String arch = MODEL_TYPES.get(type.toLowerCase(Locale.ROOT));
        if (arch == null) throw c.error("model_type", "\"" + JsonFields.abbreviate(type) + "\" is not a supported Qwen model type");
        return arch;
    }

    /** {@code rope_scaling} (or transformers 5's {@code rope_parameters}); null or type "default" means plain RoPE. */
    private static void ropeScaling(JsonFields s, String p, Map<String, Object> md) {
        if (s == null) return;
        String typeKey = s.has("rope_type") ? "rope_type" : "type";
        if (!s.has(typeKey)) {
            if (s.has("factor")) throw s.error("rope_type", "is missing although a scaling factor is given");
            return;
        }
        String type = s.string(typeKey);
        switch (type) {
            case "default" -> {
                // plain RoPE: nothing to write
            }
            case "linear" -> {
                md.put(p + "rope.scaling.type", "linear");
                md.put(p + "rope.scaling.factor", asFloat(s.number("factor", Double.MIN_VALUE, 1e6)));
            }
            case "yarn" -> {
                md.put(p + "rope.scaling.type", "yarn");
                md.put(p + "rope.scaling.factor", asFloat(s.number("factor", Double.MIN_VALUE, 1e6)));
                md.put(p + "rope.scaling.original_context_length", s.integer("original_max_position_embeddings", 1, 1 << 24));
                if (s.has("extrapolation_factor")) {
                    md.put(p + "rope.scaling.yarn_ext_factor", asFloat(s.number("extrapolation_factor", 0, 1e6)));
                }
                String attn = s.has("attention_factor") ? "attention_factor" : s.has("attn_factor") ? "attn_factor" : null;
                if (attn != null) md.put(p + "rope.scaling.yarn_attn_factor", asFloat(s.number(attn, 0, 1e6)));
                if (s.has("beta_fast")) md.put(p + "rope.scaling.yarn_beta_fast", asFloat(s.number("beta_fast", 0, 1e6)));
                if (s.has("beta_slow")) md.put(p + "rope.scaling.yarn_beta_slow", asFloat(s.number("beta_slow", 0, 1e6)));
            }
            default -> throw s.error(typeKey, "RoPE scaling \"" + JsonFields.abbreviate(type)
                    + "\" is not supported (known: default, linear, yarn)");
        }
    }

    private static void experts(JsonFields c, String p, Map<String, Object> md) {
        String countKey = c.has("num_experts") ? "num_experts" : "num_local_experts";
        int experts = c.intValue(countKey, 1, 1 << 16);
        md.put(p + "expert_count", (long) experts);
        md.put(p + "expert_used_count", c.integer("num_experts_per_tok", 1, experts));
        if (c.has("moe_intermediate_size")) {
            md.put(p + "expert_feed_forward_length", c.integer("moe_intermediate_size", 1, 1 << 24));
        }
        if (c.has("shared_expert_intermediate_size")) {
            md.put(p + "expert_shared_feed_forward_length", c.integer("shared_expert_intermediate_size", 0, 1 << 24));
        }
        if (c.has("norm_topk_prob")) md.put(p + "expert_weights_norm", c.bool("norm_topk_prob", false));
    }

    /** A token id field that may be an int or (for eos) a list whose first entry counts; null when absent. */
    private static Integer tokenId(JsonFields c, String key, int vocabulary) {
        if (!c.has(key)) return null;
        JsonNode v = c.raw(key);
        if (v.isArray()) {
            if (v.isEmpty()) return null;
            return (int) c.integerValue(v.get(0), c.field(key) + "[0]", 0, vocabulary - 1);
        }
        return (int) c.integer(key, 0, vocabulary - 1);
    }

    /** The value GGUF's 32-bit float field would hold. */
    private static Double asFloat(double v) {
        return (double) (float) v;
    }

    Path file() {
        return file;
    }

    /** The GGUF architecture name: qwen2, qwen3, qwen2moe or qwen3moe. */
    String architecture() {
        return architecture;
    }

    /** Whether the output head reuses the embedding table ({@code tie_word_embeddings}). */
    boolean tiedEmbeddings() {
        return tiedEmbeddings;
    }

    /** {@code vocab_size}: the rows of the embedding table. */
    int vocabularySize() {
        return vocabularySize;
    }

    /**
     * The id config.json gives a special token ({@code bos}, {@code eos} or {@code pad}), or null;
     * the tokenizer falls back on these as llama.cpp's converter does.
     */
    Integer specialTokenId(String role) {
        return specialTokenIds.get(role);
    }

    /** {@code general.architecture} and the hyper-parameter keys, in GGUF's vocabulary. */
    Map<String, Object> metadata() {
        return metadata;
    }

    ModelFormatException error(String key, String problem) {
        return new ModelFormatException(file, key, problem);
    }
}
