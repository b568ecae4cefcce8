package org.qwen4j.quant;

import java.util.Objects;

/**
 * A fixed rearrangement of the values inside every block: position {@code k} of a rearranged
 * block holds value {@code source[k]} of the original one. The kernels that split packed quants
 * with shifts produce them in such an order, and the activations are put in the same order once
 * per product (see {@link org.qwen4j.spi.TensorFormat#orderActivations}).
 */
final class BlockOrder {
    private final int[] source;

    private BlockOrder(int[] source) {
        this.source = source;
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
        return new BlockOrder(source);
    }

    /** Which value of the block lane {@code lane} of vector {@code group} holds. */
    @FunctionalInterface
    interface LaneSource {
        int at(int group, int lane);
    }

    void apply(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, source.length);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int size = source.length;
        for (int b = 0; b < n; b += size) {
            for (int k = 0; k < size; k++) dst[dstOffset + b + k] = x[xOffset + b + source[k]];
        }
    }
}
