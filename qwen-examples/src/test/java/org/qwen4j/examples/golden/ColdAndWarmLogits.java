package org.qwen4j.examples.golden;

import java.nio.file.Path;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * Run in a JVM of its own by {@link FreshJvmReproducibilityTest}: evaluates a prompt, then the same
 * tokens one at a time, while the kernels are still interpreted, again after the JIT has compiled
 * them, and prints how many logits differ in any bit, one line per model file given.
 */
public final class ColdAndWarmLogits {
    private ColdAndWarmLogits() {
    }

    public static void main(String[] args) {
        int repeats = Integer.parseInt(args[0]);
        for (int m = 1; m < args.length; m++) {
            try (Model model = Model.builder(Path.of(args[m])).threads(2).build(); Session session = model.newSession()) {
                int[] ids = model.tokenizer().encode("The quick brown fox jumps over the lazy dog, and then", false);
                float[] cold = evaluate(session, ids);
                float[] warm = cold;
                for (int i = 0; i < repeats; i++) {
                    session.reset();
                    warm = evaluate(session, ids);
                }
                int differing = 0;
                for (int i = 0; i < cold.length; i++) {
                    if (Float.floatToRawIntBits(cold[i]) != Float.floatToRawIntBits(warm[i])) differing++;
                }
                System.out.println(Path.of(args[m]).getFileName() + " differing " + differing + " of " + cold.length);
            }
        }
    }

    /** The prompt's logits (a batched product), then those of its tokens appended one by one (decode products). */
    private static float[] evaluate(Session session, int[] ids) {
        float[] prompt = session.evaluate(ids);
        float[] all = java.util.Arrays.copyOf(prompt, prompt.length * 2);
        int at = prompt.length;
        for (int id : ids) {
            float[] one = session.append(new int[] {id});
            System.arraycopy(one, 0, all, at, one.length);
            at += one.length;
        }
        return java.util.Arrays.copyOf(all, at);
    }
}
