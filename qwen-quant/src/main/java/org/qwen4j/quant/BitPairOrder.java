package org.qwen4j.quant;

import java.util.Objects;
import java.util.function.IntUnaryOperator;

import jdk.incubator.vector.IntVector;

/**
 * The order in which Q2_K's and Q3_K's decode kernels take a super-block's values. Both keep their
 * low quant bits as bit pairs, four to a byte: bits {@code 2s, 2s + 1} of byte {@code 16t + k} of
 * half {@code h} (32 bytes) are value {@code 128h + 32s + 16t + k}, in sub-block
 * {@code 8h + 2s + t} of 16. One load of sixteen bytes thus holds four whole sub-blocks, one per
 * bit pair; the kernels take them in that order, so that sub-block {@code L = 4·(2h + t) + s} of a
 * super-block lies at {@code 16L … 16L + 15} of its activations and its scale at index {@code L}:
 * one flat loop over the row's loads of sixteen bytes then reads activations and scales at offsets
 * linear in its counter, which C2 checks once per row.
 */
final class BitPairOrder {

    /** Sub-blocks of 16 values per super-block. */
    static final int SUB_BLOCKS = 16;
    /** Floats per super-block of activations followed by their sub-block sums: 256 values, then 16 sums. */
    static final int WITH_SUMS = 256 + SUB_BLOCKS;

    /** {@code SUB[L]}: the format's sub-block (values {@code 16·SUB[L] …}) that the kernels take {@code L}-th. */
    private static final int[] SUB = new int[SUB_BLOCKS];

    static {
        for (int l = 0; l < SUB_BLOCKS; l++) {
            int h = l / 8;
            int t = l / 4 % 2;
            int s = l % 4;
            SUB[l] = 8 * h + 2 * s + t;
        }
    }

    /** The 512-bit kernels' order: sub-block {@code SUB[L]} at {@code 16L}, its values in natural order. */
    private static final BlockOrder WIDE = BlockOrder.of(SUB_BLOCKS, 16, (l, k) -> 16 * SUB[l] + k);
    /**
     * The 256-bit kernels' order. They widen sixteen bytes to shorts and read them as eight ints,
     * lane {@code i} holding bytes {@code 2i} and {@code 2i + 1} of the load, and shift bit pair
     * {@code s} of both down to bits 0 and 16, where they are masked: the second comes out
     * {@code 2^16} times too large, and its activations are scaled down by as much instead, which
     * is exact. Vector {@code 2L + p} holds values {@code 2i + p} of sub-block {@code SUB[L]}.
     */
    private static final BlockOrder PAIRS = BlockOrder.of(2 * SUB_BLOCKS, 8,
            (v, i) -> 16 * SUB[v / 2] + 2 * i + v % 2).scaledByPowersOfTwo(exponentsOfPairs());

    private BitPairOrder() {
    }

    /**
     * Lane {@code L} is {@code f(SUB[L])}: constants that unpack a super-block's sixteen scales in
     * kernel order, for the 512-bit kernels.
     */
    static IntVector lanes(IntUnaryOperator f) {
        return IntVector.fromArray(IntVector.SPECIES_512, values(f, SUB_BLOCKS), 0);
    }

    /**
     * The same for the first eight sub-blocks, for the 256-bit kernels, which take each half of a
     * super-block's scales in one vector: the second half's sub-blocks are the first half's plus 8,
     * in the same order (0, 2, 4, 6, 1, 3, 5, 7).
     */
    static IntVector halfLanes(IntUnaryOperator f) {
        return IntVector.fromArray(IntVector.SPECIES_256, values(f, SUB_BLOCKS / 2), 0);
    }

    private static int[] values(IntUnaryOperator f, int count) {
        int[] values = new int[count];
        for (int l = 0; l < count; l++) values[l] = f.applyAsInt(SUB[l]);
        return values;
    }

    private static int[] exponentsOfPairs() {
        int[] exponents = new int[2 * SUB_BLOCKS];
        for (int v = 0; v < exponents.length; v++) exponents[v] = -16 * (v % 2);
        return exponents;
    }

    /** The {@code n} values of {@code x} in the 512-bit ({@code wide}) or the 256-bit kernels' order, to {@code dst}. */
    static void apply(boolean wide, float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        (wide ? WIDE : PAIRS).apply(x, xOffset, dst, dstOffset, n);
    }

    /**
     * The {@code n} values in kernel order (see {@link #apply}), then each super-block's sixteen
     * sub-block sums (of the values as they are) in kernel order ({@link #WITH_SUMS} floats per
     * super-block): the activations of Q2_K, whose minimums multiply the sums.
     */
    static void applyWithSums(boolean wide, float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, 256);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, n / 256 * WITH_SUMS, dst.length);
        apply(wide, x, xOffset, dst, dstOffset, n);
        for (int b = 0; b < n / 256; b++) {
            for (int l = 0; l < SUB_BLOCKS; l++) {
                float sum = 0f;
                int from = xOffset + 256 * b + 16 * SUB[l];
                for (int k = 0; k < 16; k++) sum += x[from + k];
                dst[dstOffset + n + SUB_BLOCKS * b + l] = sum;
            }
        }
    }
}
