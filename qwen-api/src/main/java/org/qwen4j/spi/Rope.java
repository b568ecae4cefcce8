package org.qwen4j.spi;

/**
 * Rotary position embedding, NEOX layout (element {@code i} pairs with {@code i + headDim/2}).
 * The angle of pair {@code i} at position {@code p} is {@code p * inverseFrequencies[i]}; cosine and
 * sine are multiplied by {@code magnitude} (1 except for YaRN's attention factor).
 */
public record Rope(double[] inverseFrequencies, float magnitude) {

    /**
     * YaRN context extension (as llama.cpp and Hugging Face compute it): dimensions that rotate
     * fewer than {@code betaSlow} times over the original context are interpolated by
     * {@code 1/factor}, those rotating more than {@code betaFast} times keep their frequency, with a
     * linear ramp between; cosine and sine are scaled by {@code attnFactor * (1 + 0.1 ln factor)}.
     */
    public static Rope yarn(int headDim, double base, double factor, int originalContext, double betaFast,
                            double betaSlow, double attnFactor) {
        double low = Math.max(0, Math.floor(correctionDimension(headDim, base, originalContext, betaFast)));
        double high = Math.min(headDim - 1, Math.ceil(correctionDimension(headDim, base, originalContext, betaSlow)));
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            double extrapolated = Math.pow(base, -2.0 * i / headDim);
            double ramp = Math.clamp((i - low) / Math.max(0.001, high - low), 0, 1);
            double keep = 1 - ramp; // share of the original frequency
            f[i] = extrapolated / factor * (1 - keep) + extrapolated * keep;
        }
        return new Rope(f, (float) (attnFactor * (1 + 0.1 * Math.log(factor))));
    }

    /** The dimension whose wavelength fits {@code rotations} times into the original context. */
    private static double correctionDimension(int headDim, double base, int originalContext, double rotations) {
        return headDim * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** Plain RoPE: {@code base^(-2i/headDim)}. */
    public static Rope standard(int headDim, double base) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(base, -2.0 * i / headDim);
        return new Rope(f, 1f);
    }
}
