package org.qwen4j.quant.convert;

import java.util.LinkedHashMap;
import java.util.Map;
import org.qwen4j.core.hf.HfGenerationConfig;

/**
 * Turns a model source's metadata into what a GGUF file of the model holds. A Hugging Face checkpoint
 * opens with keys beyond GGUF's: {@code hf.generation.*} from {@code generation_config.json}, and
 * {@code tokenizer.hf.*}, which make the engine tokenize as Hugging Face does (NFC normalization, the
 * matching options of added tokens). llama.cpp's converter writes neither: it stores the sampling
 * defaults as {@code general.sampling.*} keys and its tokenizer does not normalize. The output keeps
 * GGUF's keys only, so that the converted file is the one llama.cpp's converter would write and behaves
 * in qwen4j as it does in llama.cpp. GGUF sources have no such keys and pass through unchanged.
 */
final class GgufMetadataKeys {
    /** generation_config.json's sampling defaults and the keys gguf-py's {@code Metadata} stores them under. */
    private static final Map<String, String> SAMPLING = Map.of(
            HfGenerationConfig.TEMPERATURE, "general.sampling.temp",
            HfGenerationConfig.TOP_K, "general.sampling.top_k",
            HfGenerationConfig.TOP_P, "general.sampling.top_p",
            HfGenerationConfig.MIN_P, "general.sampling.min_p",
            HfGenerationConfig.REPETITION_PENALTY, "general.sampling.penalty_repeat");

    private GgufMetadataKeys() {
    }

    static Map<String, Object> of(Map<String, Object> source) {
        Map<String, Object> md = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : source.entrySet()) {
            String key = e.getKey();
            String sampling = SAMPLING.get(key);
            if (sampling != null) {
                md.put(sampling, e.getValue());
            } else if (!key.startsWith("hf.") && !key.startsWith("tokenizer.hf.")) {
                md.put(key, e.getValue());
            }
        }
        return md;
    }
}
