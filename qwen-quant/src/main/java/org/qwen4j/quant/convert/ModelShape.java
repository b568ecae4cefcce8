package org.qwen4j.quant.convert;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The shape of a dense Qwen model, what {@link ModelSynthesizer} needs to write one with random
 * weights. The presets are the real models' shapes, as the reference set's {@code mkmodel.py} has them.
 *
 * @param name          {@code general.name}
 * @param architecture  {@code qwen2} (QKV biases) or {@code qwen3} (per-head Q/K norms)
 * @param hidden        embedding width
 * @param layers        transformer blocks
 * @param heads         query heads
 * @param kvHeads       key/value heads
 * @param ffn           feed-forward width
 * @param headDim       width of one head; 0 means {@code hidden / heads}
 * @param tied          whether the output matrix is the token embedding ({@code output.weight} absent)
 * @param ropeTheta     RoPE base frequency
 * @param contextLength {@code <arch>.context_length}
 */
public record ModelShape(String name, String architecture, int hidden, int layers, int heads, int kvHeads, int ffn,
        int headDim, boolean tied, double ropeTheta, int contextLength) {

    private static final Map<String, ModelShape> PRESETS = presets();

    public ModelShape {
        if (!Set.of("qwen2", "qwen3").contains(architecture)) {
            throw new IllegalArgumentException("architecture must be qwen2 or qwen3, got '" + architecture + "'");
        }
        if (hidden < 1 || layers < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || headDim < 0 || contextLength < 1) {
            throw new IllegalArgumentException("every size of a model shape must be positive: " + name);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads + " key/value heads evenly");
        }
        if (headDim == 0 && hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of " + heads + " heads; give a head width");
        }
    }

    /** A preset by name: qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-7b, qwen3-0.6b, qwen3-8b. */
    public static ModelShape preset(String name) {
        ModelShape s = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) throw new IllegalArgumentException("unknown preset '" + name + "'; presets: " + String.join(", ", PRESETS.keySet()));
        return s;
    }

    /** The preset names. */
    public static Set<String> presetNames() {
        return PRESETS.keySet();
    }

    /** The width of one attention head. */
    public int headWidth() {
        return headDim > 0 ? headDim : hidden / heads;
    }

    private static Map<String, ModelShape> presets() {
        Map<String, ModelShape> p = new LinkedHashMap<>();
        p.put("qwen2.5-0.5b", new ModelShape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 0, true, 1e6, 32768));
        p.put("qwen2.5-1.5b", new ModelShape("qwen2.5-1.5b", "qwen2", 1536, 28, 12, 2, 8960, 0, true, 1e6, 32768));
        p.put("qwen2.5-7b", new ModelShape("qwen2.5-7b", "qwen2", 3584, 28, 28, 4, 18944, 0, false, 1e6, 32768));
        p.put("qwen3-0.6b", new ModelShape("qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 3072, 128, true, 1e6, 40960));
        p.put("qwen3-8b", new ModelShape("qwen3-8b", "qwen3", 4096, 36, 32, 8, 12288, 128, false, 1e6, 40960));
        return Collections.unmodifiableMap(p);
    }
}
