package org.qwen4j.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.qwen4j.quant.convert.ConversionResult;
import org.qwen4j.quant.convert.FileType;
import org.qwen4j.quant.convert.ModelQuantizer;

/**
 * {@code qwen4j quantize -i INPUT -o OUTPUT.gguf --type TYPE [-t THREADS] [--pure]}, or llama-quantize's
 * positional form {@code qwen4j quantize INPUT OUTPUT TYPE [THREADS]}: converts a GGUF file or a
 * Hugging Face checkpoint folder into a GGUF file of another type, with llama.cpp's choice of format
 * per tensor ({@code --pure}: every weight matrix in the type's own format).
 */
final class QuantizeCommand {
    private static final Set<String> VALUED = Set.of("-i", "--input", "-o", "--output", "--type", "-t", "--threads");
    private static final Set<String> FLAGS = Set.of("--pure");

    private QuantizeCommand() {
    }

    static void run(String[] argv, PrintStream err) throws IOException {
        List<String> positional = new ArrayList<>();
        Args a = new Args(Options.withoutPositionals(argv, VALUED, positional), 0, VALUED, FLAGS);
        if (positional.size() > 4) throw new Args.UsageException("too many arguments: " + positional);
        String input = Options.valueOrPositional(a, positional, 0, "-i", "--input");
        String output = Options.valueOrPositional(a, positional, 1, "-o", "--output");
        String type = Options.valueOrPositional(a, positional, 2, "--type");
        int threads = a.getInt(positional.size() > 3 ? Options.integer(positional.get(3), "THREADS")
                : Runtime.getRuntime().availableProcessors(), "-t", "--threads");
        if (threads < 1) throw new Args.UsageException("-t must be at least 1");
        FileType fileType = Options.fileType(type);
        ProgressLine progress = new ProgressLine(err, "quantize");
        ConversionResult r = new ModelQuantizer(threads, progress)
                .quantize(Path.of(input), Path.of(output), fileType, a.flag("--pure"));
        progress.finish(r);
    }
}
