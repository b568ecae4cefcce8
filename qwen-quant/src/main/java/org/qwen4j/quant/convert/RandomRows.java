package org.qwen4j.quant.convert;

import java.nio.charset.StandardCharsets;

/**
 * Random weights with mean {@code mean} and standard deviation {@code std}, a function of the seed,
 * the tensor's name and the row only: each row has its own generator, so the values do not depend on
 * how rows are split among threads, and a tensor's values do not depend on the other tensors.
 *
 * <p>The values are normal-ish rather than normal: each is the sum of four uniform 16-bit numbers
 * (Irwin–Hall), scaled to unit variance, which has the right mean, variance and bell shape (it is
 * bounded at ±3.46 standard deviations) at a fraction of the cost of a Gaussian sampler; a 0.5B model
 * needs half a billion of them. The generator is SplitMix64, one 64-bit output per value.
 */
final class RandomRows implements RowSource {
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;
    /** sqrt(12 / 4): the standard deviation of a sum of four U(0, 1) is 1 / sqrt(3). */
    private static final float UNIT_VARIANCE = (float) Math.sqrt(3);
    private static final float INV_2_16 = 1f / 65536;

    private final long tensorSeed;
    private final int columns;
    private final float mean;
    private final float std;

    RandomRows(long seed, String tensorName, int columns, float mean, float std) {
        this.tensorSeed = mix(seed * GOLDEN_GAMMA ^ fnv1a(tensorName));
        this.columns = columns;
        this.mean = mean;
        this.std = std;
    }

    @Override
    public void read(int firstRow, int rows, float[] dst) {
        float scale = std * UNIT_VARIANCE;
        for (int r = 0; r < rows; r++) {
            long state = mix(tensorSeed + (firstRow + r + 1L) * 0xD1B5_4A32_D192_ED03L);
            int base = r * columns;
            for (int i = 0; i < columns; i++) {
                state += GOLDEN_GAMMA;
                long bits = mix(state);
                long sum = (bits & 0xFFFF) + ((bits >>> 16) & 0xFFFF) + ((bits >>> 32) & 0xFFFF) + (bits >>> 48);
                // Four uniforms in (0, 1), (k + 0.5) / 65536 each: their sum is (sum + 2) / 65536, of mean 2.
                dst[base + i] = mean + ((sum + 2) * INV_2_16 - 2f) * scale;
            }
        }
    }

    /** SplitMix64's finaliser (Stafford's variant 13): every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a(String s) {
        long h = 0xCBF2_9CE4_8422_2325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x1000_0000_01B3L;
        }
        return h;
    }
}
