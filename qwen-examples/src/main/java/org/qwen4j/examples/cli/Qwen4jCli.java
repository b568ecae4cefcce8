package org.qwen4j.examples.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.qwen4j.QwenException;

/**
 * The {@code qwen4j} command line. The command forms are a contract that scripts and automated
 * checks rely on: add options, never rename them.
 */
public final class Qwen4jCli {
    static final String USAGE = """
            usage: qwen4j COMMAND [options]

              generate   -m MODEL -p TEXT [-n N] [--temperature T] [--top-k K] [--top-p P] [--min-p P]
                         [--seed S] [--chat] [--json] [--ignore-eos] [-t THREADS] [--cache-type f16]
              chat       -m MODEL [--system TEXT] [-n N] [--temperature T] [--seed S] [-t THREADS]
              tokenize   -m MODEL (--text TEXT | --file F) [--special]
              detokenize -m MODEL --ids 1,2,3
              logits     -m MODEL --ids 1,2,3 -o FILE [--incremental] [-t THREADS] [--cache-type f32]
              (--cache-type f32|f16|q8_0: KV cache precision; logits defaults to f32, the others to f16)
              bench      -m MODEL [-p 512] [-n 128] [-d DEPTH] [-t THREADS] [-r REPS] [--json]
              quantize   -i INPUT -o OUTPUT.gguf --type TYPE [-t THREADS] [--pure]   (or: INPUT OUTPUT TYPE [THREADS])
              synth      --preset NAME --type TYPE -o FILE [--seed S] [--vocab FILE] [-t THREADS] [--pure]

            MODEL is a .gguf file. Common options: -t/--threads N, --backend cpu-simd|cpu-reference,
            -c/--ctx-size N (context window; default min(model maximum, 4096)).
            TYPE is f32, f16, bf16, q8_0, q4_0, q4_k_m (q4_k), q5_k_m (q5_k) or q6_k. synth presets: qwen2.5-0.5b,
            qwen2.5-1.5b, qwen2.5-7b, qwen3-0.6b, qwen3-8b; or a shape: --arch --hidden --layers --heads --kv-heads
            --ffn [--head-dim] [--untied] [--ctx].
            """;

    private Qwen4jCli() {
    }

    public static void main(String[] argv) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
        System.exit(run(argv, out, err));
    }

    /** Runs one command and returns the process exit code. */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("-h") || argv[0].equals("--help") || argv[0].equals("help")) {
            out.print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        try {
            switch (argv[0]) {
                case "generate" -> GenerateCommand.run(argv, out);
                case "chat" -> ChatCommand.run(argv, out);
                case "tokenize" -> TokenizeCommand.run(argv, out);
                case "detokenize" -> DetokenizeCommand.run(argv, out);
                case "logits" -> LogitsCommand.run(argv, out, err);
                case "bench" -> BenchCommand.run(argv, out, err);
                case "quantize" -> QuantizeCommand.run(argv, err);
                case "synth" -> SynthCommand.run(argv, err);
                default -> throw new Args.UsageException("unknown command '" + argv[0] + "'");
            }
            out.flush();
            return 0;
        } catch (Args.UsageException e) {
            err.println("qwen4j: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (QwenException | IllegalArgumentException | IllegalStateException e) {
            err.println("qwen4j " + argv[0] + ": " + e.getMessage());
            return 1;
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            err.println("qwen4j " + argv[0] + ": I/O error: " + e.getMessage());
            return 1;
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
