package org.qwen4j.examples.golden;

import java.nio.file.Path;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * Run in a JVM of its own by {@link FreshJvmReproducibilityTest}: evaluates one prompt while the
 * kernels are still interpreted, again after the JIT has compiled them, and prints how many logits
 * differ in any bit, one line per model file given.
 */
public final class ColdAndWarmLogits {
    private ColdAndWarmLogits() {
    }

    public static void main(String[] args) {
        int repeats = Integer.parseInt(args[0]);
        for (int m = 1; m < args.length; m++) {
            try (Model model = Model.builder(Path.of(args[m])).threads(2).build(); Session session = model.newSession()) {
                int[] ids = model.tokenizer().encode("The quick brown fox jumps over the lazy dog, and then", false);
                float[] cold = session.evaluate(ids);
                float[] warm = cold;
                for (int i = 0; i < repeats; i++) {
                    session.reset();
                    warm = session.evaluate(ids);
                }
                int differing = 0;
                for (int i = 0; i < cold.length; i++) {
                    if (Float.floatToRawIntBits(cold[i]) != Float.floatToRawIntBits(warm[i])) differing++;
                }
                System.out.println(Path.of(args[m]).getFileName() + " differing " + differing + " of " + cold.length);
            }
        }
    }
}
