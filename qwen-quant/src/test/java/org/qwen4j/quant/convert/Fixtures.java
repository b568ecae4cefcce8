package org.qwen4j.quant.convert;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.TensorFormat;

/** The repository's {@code testdata/} fixtures, and tensor lists for plans of made-up models. */
final class Fixtures {
    private Fixtures() {
    }

    static Path testdata() {
        String prop = System.getProperty("qwen4j.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("testdata folder not found");
    }

    /** {@code testdata/models/NAME/NAME-TYPE.gguf}. */
    static Path model(String name, String type) {
        return testdata().resolve("models/" + name + "/" + name + "-" + type + ".gguf");
    }

    static TensorFormat format(String name) {
        return TensorFormats.byName(name).orElseThrow();
    }

    /** The metadata a plan reads: architecture, block count and expert count. */
    static Metadata metadata(String arch, int layers, int experts) {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", arch);
        md.put(arch + ".block_count", (long) layers);
        if (experts > 0) md.put(arch + ".expert_count", (long) experts);
        return new Metadata(Path.of("made-up.gguf"), md);
    }

    /** The F32 tensors of a dense qwen2 model of the given widths, in Hugging Face order. */
    static List<GgufTensorInfo> qwen2(int hidden, int layers, int kvWidth, int ffn, int vocab, boolean tied) {
        TensorFormat f32 = format("F32");
        List<GgufTensorInfo> t = new ArrayList<>();
        t.add(new GgufTensorInfo("token_embd.weight", f32, new long[] {hidden, vocab}));
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            t.add(new GgufTensorInfo(p + "attn_norm.weight", f32, new long[] {hidden}));
            t.add(new GgufTensorInfo(p + "attn_q.weight", f32, new long[] {hidden, hidden}));
            t.add(new GgufTensorInfo(p + "attn_k.weight", f32, new long[] {hidden, kvWidth}));
            t.add(new GgufTensorInfo(p + "attn_v.weight", f32, new long[] {hidden, kvWidth}));
            t.add(new GgufTensorInfo(p + "attn_q.bias", f32, new long[] {hidden}));
            t.add(new GgufTensorInfo(p + "attn_output.weight", f32, new long[] {hidden, hidden}));
            t.add(new GgufTensorInfo(p + "ffn_norm.weight", f32, new long[] {hidden}));
            t.add(new GgufTensorInfo(p + "ffn_gate.weight", f32, new long[] {hidden, ffn}));
            t.add(new GgufTensorInfo(p + "ffn_up.weight", f32, new long[] {hidden, ffn}));
            t.add(new GgufTensorInfo(p + "ffn_down.weight", f32, new long[] {ffn, hidden}));
        }
        t.add(new GgufTensorInfo("output_norm.weight", f32, new long[] {hidden}));
        if (!tied) t.add(new GgufTensorInfo("output.weight", f32, new long[] {hidden, vocab}));
        return t;
    }
}
