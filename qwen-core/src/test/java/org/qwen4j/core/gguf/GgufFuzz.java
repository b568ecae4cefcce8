package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.qwen4j.ModelFormatException;

/**
 * Seeded byte-flip fuzzing of the header region: opening a damaged file either works or throws
 * {@link ModelFormatException}; any other throwable fails with the seed, the iteration and the flips,
 * which reproduce it exactly. Set {@code -Dqwen4j.fuzz.seed=N} to explore other seeds.
 */
final class GgufFuzz {
    static final long DEFAULT_SEED = 0x5EED_6A7F_2025L;
    /** Each fuzz test stops early past this, so a slow machine gets fewer iterations, not a timeout. */
    static final long TIME_BUDGET_NANOS = 6_000_000_000L;

    private GgufFuzz() {
    }

    record Outcome(int iterations, int opened, int rejected) {
    }

    /**
     * Runs up to {@code iterations} rounds; each copies {@code original}, flips 1 to 8 bytes inside
     * {@code [from, to)} and opens the result.
     */
    static Outcome run(String name, byte[] original, int from, int to, int iterations) {
        long seed = Long.getLong("qwen4j.fuzz.seed", DEFAULT_SEED);
        long deadline = System.nanoTime() + TIME_BUDGET_NANOS;
        int opened = 0, rejected = 0, i = 0;
        for (; i < iterations && System.nanoTime() < deadline; i++) {
            SplittableRandom rnd = new SplittableRandom(seed + i);
            byte[] bytes = original.clone();
            List<String> flips = new ArrayList<>();
            int n = 1 + rnd.nextInt(8);
            for (int k = 0; k < n; k++) {
                int at = rnd.nextInt(from, to);
                int old = bytes[at] & 0xFF;
                // Mostly XOR noise; now and then a boundary value, which is what breaks counts and lengths.
                int v = switch (rnd.nextInt(8)) {
                    case 0 -> 0x00;
                    case 1 -> 0xFF;
                    case 2 -> 0x7F;
                    case 3 -> 0x80;
                    default -> old ^ (1 + rnd.nextInt(255));
                };
                bytes[at] = (byte) v;
                flips.add(at + ":" + Integer.toHexString(old) + "->" + Integer.toHexString(v));
            }
            String context = name + ", seed " + seed + " iteration " + i + " (flips " + flips + ")";
            try (GgufSource src = Hostile.parse(bytes)) {
                Hostile.checkViews(src, context);
                opened++;
            } catch (ModelFormatException expected) {
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError(context + ": opening threw " + t, t);
            }
        }
        assertTrue(i >= Math.min(iterations, 200), name + ": only " + i + " iterations ran within the time budget");
        return new Outcome(i, opened, rejected);
    }
}
