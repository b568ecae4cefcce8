package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qwen4j.core.tokenizer.HfTokenizerMetadataKeys;

/**
 * {@code generation_config.json}: the sampling defaults and end-of-sequence ids the model's authors
 * ship. GGUF has no keys for them, so they are exposed under keys of qwen4j's own, each written only
 * when the file has the field:
 *
 * <pre>
 * do_sample            hf.generation.do_sample           Boolean
 * temperature          hf.generation.temperature         Double
 * top_k                hf.generation.top_k               Long
 * top_p                hf.generation.top_p               Double
 * min_p                hf.generation.min_p               Double
 * repetition_penalty   hf.generation.repetition_penalty  Double
 * max_new_tokens       hf.generation.max_new_tokens      Long
 * eos_token_id         hf.generation.eos_token_ids       long[] (an int becomes a one-element array)
 * </pre>
 */
public final class HfGenerationConfig {
    public static final String FILE = "generation_config.json";
    public static final String DO_SAMPLE = "hf.generation.do_sample";
    public static final String TEMPERATURE = "hf.generation.temperature";
    public static final String TOP_K = "hf.generation.top_k";
    public static final String TOP_P = "hf.generation.top_p";
    public static final String MIN_P = "hf.generation.min_p";
    public static final String REPETITION_PENALTY = "hf.generation.repetition_penalty";
    public static final String MAX_NEW_TOKENS = "hf.generation.max_new_tokens";
    /** Every id that ends a generation, in the file's order; the first is the primary end-of-sequence id. */
    public static final String EOS_TOKEN_IDS = HfTokenizerMetadataKeys.GENERATION_EOS_IDS;

    /** A generation_config.json is a few hundred bytes; the cap keeps a wrong file from being read into memory. */
    private static final long MAX_BYTES = 1L << 20;

    private HfGenerationConfig() {
    }

    /**
     * The metadata entries of {@code file}.
     *
     * @param vocabularySize the model's vocabulary; end-of-sequence ids must lie inside it
     */
    static Map<String, Object> read(Path file, int vocabularySize) {
        JsonFields g = JsonFields.read(file, MAX_BYTES);
        Map<String, Object> md = new LinkedHashMap<>();
        if (g.has("do_sample")) md.put(DO_SAMPLE, g.bool("do_sample", false));
        if (g.has("temperature")) md.put(TEMPERATURE, g.number("temperature", 0, 1e6));
        if (g.has("top_k")) md.put(TOP_K, g.integer("top_k", 0, Integer.MAX_VALUE));
        if (g.has("top_p")) md.put(TOP_P, g.number("top_p", 0, 1));
        if (g.has("min_p")) md.put(MIN_P, g.number("min_p", 0, 1));
        if (g.has("repetition_penalty")) md.put(REPETITION_PENALTY, g.number("repetition_penalty", Double.MIN_VALUE, 1e6));
        if (g.has("max_new_tokens")) md.put(MAX_NEW_TOKENS, g.integer("max_new_tokens", 0, Integer.MAX_VALUE));
        if (g.has("eos_token_id")) md.put(EOS_TOKEN_IDS, eosIds(g, vocabularySize));
        return md;
    }

    private static long[] eosIds(JsonFields g, int vocabularySize) {
        JsonNode v = g.raw("eos_token_id");
        if (!v.isArray()) return new long[] {g.integer("eos_token_id", 0, vocabularySize - 1)};
        long[] ids = new long[v.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = g.integerValue(v.get(i), g.field("eos_token_id") + "[" + i + "]", 0, vocabularySize - 1);
        }
        return ids;
    }
}
