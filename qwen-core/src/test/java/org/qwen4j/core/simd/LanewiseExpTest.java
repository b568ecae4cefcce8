package org.qwen4j.core.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LanewiseExpTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** {@code LanewiseExp} of {@code x} in every lane, read from the last. */
    private static float exp(float x) {
        float[] lanes = new float[F.length()];
        java.util.Arrays.fill(lanes, x);
        return LanewiseExp.of(FloatVector.fromArray(F, lanes, 0)).lane(F.length() - 1);
    }

    /** Distance in units in the last place, over the float line (signs equal here: exp is positive). */
    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    @Test
    void staysWithinTwoUlpsOfMathExpAcrossTheWholeRange() {
        // Every 4099th float from -104 to 89: the rounding cases of the reduction and the
        // polynomial, the subnormal results and the top of the range.
        float[] xs = new float[F.length()];
        long worst = 0;
        float worstAt = 0;
        int filled = 0;
        int step = 4099;
        int negatives = (Float.floatToRawIntBits(-104f) - Float.floatToRawIntBits(-0f)) / step;
        int positives = Float.floatToRawIntBits(89f) / step;
        for (int k = -negatives; k <= positives; k++) {
            xs[filled++] = k < 0 ? Float.intBitsToFloat(Float.floatToRawIntBits(-0f) - k * step) : Float.intBitsToFloat(k * step);
            if (filled < xs.length && k < positives) continue;
            float[] ys = LanewiseExp.of(FloatVector.fromArray(F, xs, 0)).toArray();
            for (int i = 0; i < filled; i++) {
                long d = ulps(ys[i], (float) Math.exp(xs[i]));
                if (d > worst) {
                    worst = d;
                    worstAt = xs[i];
                }
            }
            filled = 0;
        }
        assertTrue(worst <= 2, "worst " + worst + " ulps at " + worstAt);
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "-200, 0", "-104, 0", "89, Infinity", "1000, Infinity", "-Infinity, 0", "Infinity, Infinity"})
    void givesTheLimitsExactly(float x, float expected) {
        assertEquals(expected, exp(x));
    }

    @Test
    void keepsNaN() {
        assertTrue(Float.isNaN(exp(Float.NaN)));
    }

    @Test
    void givesTheSameBitsInEveryTierOfTheJit() {
        // The first rounds run before C2 has compiled the method, the later ones after.
        int count = 4096;
        float[] xs = new float[count * F.length()];
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (random.nextGaussian() * 20);
        float[] first = new float[xs.length];
        for (int round = 0; round < 8; round++) {
            for (int v = 0; v < count; v++) {
                FloatVector y = LanewiseExp.of(FloatVector.fromArray(F, xs, v * F.length()));
                if (round == 0) {
                    y.intoArray(first, v * F.length());
                    continue;
                }
                for (int i = 0; i < F.length(); i++) {
                    int at = v * F.length() + i;
                    assertEquals(Float.floatToRawIntBits(first[at]), Float.floatToRawIntBits(y.lane(i)),
                            "exp(" + xs[at] + ") in round " + round);
                }
            }
        }
    }
}
