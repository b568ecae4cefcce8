package org.qwen4j.examples.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.ModelInfo;
import org.qwen4j.Session;

/**
 * {@code qwen4j bench}, measured like llama.cpp's llama-bench: prompt processing is one batch of
 * {@code -p} random tokens; generation is {@code -n} single-token steps; both start from a context
 * already holding {@code -d} tokens (default 0, as llama-bench's {@code -d}), which is not timed.
 * One warm-up run, then {@code -r} repetitions; mean and sample standard deviation of tokens per
 * second.
 */
final class BenchCommand {
    private BenchCommand() {
    }

    static void run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args(argv, 1, Stream.concat(ModelOpener.VALUED.stream(), Stream.of("-p", "-n", "-r", "--repetitions", "-d", "--depth"))
                .collect(Collectors.toSet()), Set.of("--json"));
        int p = a.getInt(512, "-p");
        int n = a.getInt(128, "-n");
        int reps = a.getInt(5, "-r", "--repetitions");
        int depth = a.getInt(0, "-d", "--depth");
        if (p < 0 || n < 0 || depth < 0 || reps < 1) {
            throw new Args.UsageException("-p, -n and -d must be >= 0 and -r >= 1");
        }
        long loadStart = System.nanoTime();
        try (Model model = ModelOpener.open(a, Math.max(1, depth + Math.max(p, n)), KvCacheType.F16); Session s = model.newSession()) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            ModelInfo info = model.info();
            SplittableRandom random = new SplittableRandom(1234);
            int vocab = info.vocabularySize();
            int[] context = depth > 0 ? random.ints(depth, 0, vocab).toArray() : null;
            float[] logits = new float[vocab];
            double[] pp = new double[reps];
            double[] tg = new double[reps];
            for (int r = -1; r < reps; r++) { // r = -1 is the warm-up
                if (p > 0) {
                    int[] prompt = random.ints(p, 0, vocab).toArray();
                    fill(s, context);
                    long t0 = System.nanoTime();
                    s.append(prompt, logits);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (r >= 0) pp[r] = p / sec;
                }
                if (n > 0) {
                    fill(s, context);
                    int[] one = new int[1];
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        one[0] = random.nextInt(vocab);
                        s.append(one, logits);
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    if (r >= 0) tg[r] = n / sec;
                }
                if (r < 0) err.printf("warm-up done (load %.2f s)%n", loadSeconds);
            }
            if (a.flag("--json")) {
                Map<String, Object> json = new LinkedHashMap<>();
                if (p > 0) json.put("pp", stats(p, pp));
                if (n > 0) json.put("tg", stats(n, tg));
                if (depth > 0) json.put("depth", depth);
                json.put("threads", info.threads());
                out.println(Json.write(json));
            } else {
                out.printf("| model | type | params | backend | threads | test | t/s |%n");
                out.printf("| --- | --- | --- | --- | --- | --- | --- |%n");
                String head = String.format("| %s | %s | %.2f B | %s | %d", info.name(), info.weightType(),
                        info.parameters() / 1e9, info.backend(), info.threads());
                String at = depth > 0 ? " @ d" + depth : "";
                if (p > 0) out.printf("%s | pp%d%s | %.2f ± %.2f |%n", head, p, at, mean(pp), stddev(pp));
                if (n > 0) out.printf("%s | tg%d%s | %.2f ± %.2f |%n", head, n, at, mean(tg), stddev(tg));
            }
        }
    }

    /** Brings the session back to the untimed context: evaluated once, then kept by rewinding to it. */
    private static void fill(Session s, int[] context) {
        if (context == null) {
            s.reset();
        } else if (s.position() >= context.length) {
            s.rewind(context.length);
        } else {
            s.reset();
            s.append(context);
        }
    }

    private static Map<String, Object> stats(int tokens, double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", tokens);
        m.put("mean", mean(v));
        m.put("stddev", stddev(v));
        return m;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static double stddev(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v);
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }
}
