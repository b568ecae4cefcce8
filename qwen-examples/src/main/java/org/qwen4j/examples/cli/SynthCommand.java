package org.qwen4j.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.qwen4j.quant.convert.ConversionResult;
import org.qwen4j.quant.convert.FileType;
import org.qwen4j.quant.convert.ModelShape;
import org.qwen4j.quant.convert.ModelSources;
import org.qwen4j.quant.convert.ModelSynthesizer;
import org.qwen4j.spi.ModelSource;

/**
 * {@code qwen4j synth --preset NAME --type TYPE -o FILE [--seed S] [--vocab FILE] [-t THREADS] [--pure]}:
 * writes a random-weight model of a real Qwen shape for benchmarks. Instead of a preset (or to change
 * one), the shape can be given as {@code --arch qwen2|qwen3 --hidden H --layers L --heads N --kv-heads K
 * --ffn F [--head-dim D] [--untied] [--ctx C] [--name NAME]}. The tokenizer is copied from
 * {@code --vocab}, by default {@code testdata/tokenizer/ggml-vocab-qwen2.gguf} of the repository the
 * command runs in.
 */
final class SynthCommand {
    static final String DEFAULT_VOCABULARY = "testdata/tokenizer/ggml-vocab-qwen2.gguf";
    private static final Set<String> VALUED = Set.of("--preset", "--type", "-o", "--output", "--seed", "--vocab", "-t",
            "--threads", "--arch", "--hidden", "--layers", "--heads", "--kv-heads", "--ffn", "--head-dim", "--ctx",
            "--name");
    private static final Set<String> FLAGS = Set.of("--pure", "--untied", "--tied");

    private SynthCommand() {
    }

    static void run(String[] argv, PrintStream err) throws IOException {
        Args a = new Args(argv, 1, VALUED, FLAGS);
        ModelShape shape = shape(a);
        FileType type = Options.fileType(a.get("--type") == null ? "f32" : a.get("--type"));
        Path output = Path.of(a.require("-o", "--output"));
        long seed = a.getInt(1, "--seed");
        int threads = a.getInt(Runtime.getRuntime().availableProcessors(), "-t", "--threads");
        if (threads < 1) throw new Args.UsageException("-t must be at least 1");
        Path vocabulary = vocabulary(a.get("--vocab"));
        ProgressLine progress = new ProgressLine(err, "synth");
        try (ModelSource vocab = ModelSources.open(vocabulary)) {
            ConversionResult r = new ModelSynthesizer(threads, progress)
                    .synthesize(shape, vocab.metadata(), seed, output, type, a.flag("--pure"));
            progress.finish(r);
        }
    }

    /** The preset, with any dimension given on the command line replacing the preset's. */
    private static ModelShape shape(Args a) {
        String preset = a.get("--preset");
        if (preset == null && a.get("--hidden") == null) {
            throw new Args.UsageException("give --preset (" + String.join(", ", ModelShape.presetNames())
                    + ") or a shape (--arch --hidden --layers --heads --kv-heads --ffn)");
        }
        ModelShape p = preset != null ? presetOrUsage(preset)
                : new ModelShape("random", "qwen2", 64, 2, 4, 2, 128, 0, true, 1e6, 256);
        boolean tied = a.flag("--untied") ? false : a.flag("--tied") || p.tied();
        String arch = a.get("--arch") == null ? p.architecture() : a.get("--arch");
        try {
            return new ModelShape(a.get("--name") == null ? (preset != null ? p.name() : "random-" + arch) : a.get("--name"),
                    arch, a.getInt(p.hidden(), "--hidden"), a.getInt(p.layers(), "--layers"),
                    a.getInt(p.heads(), "--heads"), a.getInt(p.kvHeads(), "--kv-heads"), a.getInt(p.ffn(), "--ffn"),
                    a.getInt(p.headDim(), "--head-dim"), tied, p.ropeTheta(), a.getInt(p.contextLength(), "--ctx"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    private static ModelShape presetOrUsage(String name) {
        try {
            return ModelShape.preset(name);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    /** The vocabulary file: the option, else the repository's Qwen2 vocabulary found upward from the working directory. */
    private static Path vocabulary(String option) {
        if (option != null) return Path.of(option);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve(DEFAULT_VOCABULARY);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new Args.UsageException("no " + DEFAULT_VOCABULARY + " above the working directory; give --vocab FILE"
                + " (a GGUF file holding a tokenizer, such as llama.cpp's ggml-vocab-qwen2.gguf)");
    }
}
