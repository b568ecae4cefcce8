package org.qwen4j.quant;

import java.util.Objects;

/**
 * A fixed rearrangement of the values inside every block: position {@code k} of a rearranged
 * block holds value {@code source[k]} of the original one, optionally times a power of two per
 * vector. The kernels that split packed quants with shifts and masks produce them in such an order
 * (and, where a quant is left in place rather than shifted down, at such a scale), and the
 * activations are put in the same form once per product (see
 * {@link org.qwen4j.spi.TensorFormat#orderActivations}).
 */
final class BlockOrder {
    private final int[] source;
    private final float[] factor;

    private BlockOrder(int[] source, float[] factor) {
        this.source = source;
        this.factor = factor;
    }

    /**
     * The order of {@code groups} vectors of {@code lanes} values where lane {@code i} of vector
     * {@code g} holds value {@code index.at(g, i)}.
     */
    static BlockOrder of(int groups, int lanes, LaneSource index) {
        int[] source = new int[groups * lanes];
        boolean[] seen = new boolean[source.length];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < lanes; i++) {
                int v = index.at(g, i);
                if (seen[v]) throw new IllegalArgumentException("value " + v + " placed twice");
                seen[v] = true;
                source[g * lanes + i] = v;
            }
        }
        float[] factor = new float[source.length];
        java.util.Arrays.fill(factor, 1f);
        return new BlockOrder(source, factor);
    }

    /**
     * This order with vector {@code g}'s activations multiplied by {@code 2^exponents[g]}: exact
     * (short of underflow below 2^-126, far under any activation's weight), so the kernel's
     * products are the same as with unscaled activations and quants shifted into place.
     */
    BlockOrder scaledByPowersOfTwo(int... exponents) {
        int lanes = source.length / exponents.length;
        if (lanes * exponents.length != source.length) {
            throw new IllegalArgumentException(exponents.length + " exponents for " + source.length + " values");
        }
        float[] scaled = new float[source.length];
        for (int k = 0; k < scaled.length; k++) {
            int e = exponents[k / lanes];
            if (e < -24 || e > 24) throw new IllegalArgumentException("exponent " + e + " out of range");
            scaled[k] = Math.scalb(factor[k], e);
        }
        return new BlockOrder(source, scaled);
    }

    /** Which value of the block lane {@code lane} of vector {@code group} holds. */
    @FunctionalInterface
    interface LaneSource {
        int at(int group, int lane);
    }

    /** Per thread, for {@link #applied}: grown to the longest row seen, then reused. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code n} values of {@code x} in this order, in a per-thread buffer from index 0, valid until
     * the thread's next call: for a single dot product whose caller passes natural order.
     */
    float[] applied(float[] x, int xOffset, int n) {
        float[] dst = SCRATCH.get();
        if (dst.length < n) SCRATCH.set(dst = new float[n]);
        apply(x, xOffset, dst, 0, n);
        return dst;
    }

    void apply(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, source.length);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int size = source.length;
        for (int b = 0; b < n; b += size) {
            for (int k = 0; k < size; k++) dst[dstOffset + b + k] = x[xOffset + b + source[k]] * factor[k];
        }
    }
}
