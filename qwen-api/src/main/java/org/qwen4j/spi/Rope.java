package org.qwen4j.spi;

/**
 * Rotary position embedding, NEOX layout (element {@code i} pairs with {@code i + headDim/2}).
 * The angle of pair {@code i} at position {@code p} is {@code p * inverseFrequencies[i]}; cosine and
 * sine are multiplied by {@code magnitude} (1 except for YaRN's attention factor).
 */
public record Rope(double[] inverseFrequencies, float magnitude) {

    /** Plain RoPE: {@code base^(-2i/headDim)}. */
    public static Rope standard(int headDim, double base) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(base, -2.0 * i / headDim);
        return new Rope(f, 1f);
    }
}
