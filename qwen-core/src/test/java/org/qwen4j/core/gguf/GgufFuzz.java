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
     * Runs up to {@code iterations} rounds; each flips 1 to 8 bytes of {@code image} and opens the
     * result. Each flip picks one of {@code regions} ({@code {from, to}} pairs) and a byte inside it, so
     * that a caller can weight the structural parts of a file over its long runs of strings.
     */
    static Outcome run(String name, byte[] image, long[][] regions, int iterations) {
        long seed = Long.getLong("qwen4j.fuzz.seed", DEFAULT_SEED);
        long deadline = System.nanoTime() + TIME_BUDGET_NANOS;
        byte[] bytes = image.clone();
        int opened = 0, rejected = 0, i = 0;
        for (; i < iterations && System.nanoTime() < deadline; i++) {
            SplittableRandom rnd = new SplittableRandom(seed + i);
            int n = 1 + rnd.nextInt(8);
            int[] at = new int[n];
            List<String> flips = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                long[] region = regions[rnd.nextInt(regions.length)];
                at[k] = (int) rnd.nextLong(region[0], region[1]);
                int old = bytes[at[k]] & 0xFF;
                // Mostly XOR noise; now and then a boundary value, which is what breaks counts and lengths.
                int v = switch (rnd.nextInt(8)) {
                    case 0 -> 0x00;
                    case 1 -> 0xFF;
                    case 2 -> 0x7F;
                    case 3 -> 0x80;
                    default -> old ^ (1 + rnd.nextInt(255));
                };
                bytes[at[k]] = (byte) v;
                flips.add(at[k] + ":" + Integer.toHexString(old) + "->" + Integer.toHexString(v));
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
            // Undo in place rather than copy: the tiny model is 1.5 MB and a round is well under a millisecond.
            for (int k = n - 1; k >= 0; k--) bytes[at[k]] = image[at[k]];
        }
        assertTrue(i >= Math.min(iterations, 200), name + ": only " + i + " iterations ran within the time budget");
        return new Outcome(i, opened, rejected);
    }
}
