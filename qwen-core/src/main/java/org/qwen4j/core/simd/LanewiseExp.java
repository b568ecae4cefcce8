package org.qwen4j.core.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code e^x} for every lane, from lane-wise arithmetic only, so that it gives the same bits in
 * every tier of the JIT. The Vector API's {@code lanewise(EXP)} does not: compiled, it calls the
 * JDK's vector math library; interpreted, {@code Math.exp} per lane, which differ in the last bit
 * for some arguments, enough to make a fresh JVM's first tokens differ from a warm one's.
 *
 * <p>Within one ulp of {@code (float) Math.exp} on every 4099th float from -104 to 89 (the tests
 * hold it to two). The argument is reduced to {@code r = x - n·ln 2}, {@code |r| ≤ ln 2 / 2}, with
 * ln 2 in two parts (Cody and Waite); {@code e^r} is a degree-6 polynomial (Cephes' {@code expf}
 * coefficients); {@code 2^n} is built in the exponent bits as two factors, so that {@code n = 128}
 * stays representable. Below {@code -103.97} the result is 0 (the true values are under half the
 * smallest subnormal), above {@code 88.72284} infinity; NaN stays NaN.
 *
 * <pre>{@code
 * FloatVector weights = LanewiseExp.of(scores.sub(max));
 * }</pre>
 */
public final class LanewiseExp {
    private static final float LOG2_E = 1.44269504088896341f;
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    /** 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDING = 0x1.8p23f;
    private static final float UNDERFLOW = -103.97208f;
    private static final float OVERFLOW = 88.72284f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private LanewiseExp() {
    }

    /** {@code e^x} per lane. */
    public static FloatVector of(FloatVector x) {
        // NaN fails both comparisons and flows through the arithmetic.
        VectorMask<Float> zero = x.compare(VectorOperators.LT, UNDERFLOW);
        VectorMask<Float> infinite = x.compare(VectorOperators.GT, OVERFLOW);
        FloatVector c = x.max(UNDERFLOW).min(OVERFLOW);
        FloatVector shifted = c.fma(LOG2_E, ROUNDING); // 1.5·2^23 + n, n in its low mantissa bits
        FloatVector n = shifted.sub(ROUNDING);
        FloatVector r = n.fma(x.broadcast(-LN2_HIGH), c); // exact: n has at most 8 bits, LN2_HIGH 9
        r = n.fma(x.broadcast(-LN2_LOW), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, x.broadcast(P2));
        p = p.fma(r, x.broadcast(P3));
        p = p.fma(r, x.broadcast(P4));
        p = p.fma(r, x.broadcast(P5));
        p = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n as two factors 2^(n - h) and 2^h, h = n / 2 rounded down: each within the normal exponents.
        IntVector k = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDING));
        IntVector h = k.lanewise(VectorOperators.ASHR, 1);
        FloatVector scaleA = k.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scaleB = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(scaleA).mul(scaleB);
        return e.blend(0f, zero).blend(Float.POSITIVE_INFINITY, infinite);
    }
}
