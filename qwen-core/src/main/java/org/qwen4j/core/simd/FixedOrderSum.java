package org.qwen4j.core.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order: halves added lane-wise, then halves of
 * the result, down to one lane. {@code reduceLanes(ADD)} leaves its order unspecified, and the
 * order does differ between the JIT's tiers (measured: 1047 of 2000 random eight-lane sums changed
 * in the last bit once C2 had compiled the caller), so kernels that used it gave a fresh JVM's first
 * tokens other logits than a warm JVM's. Lane-wise adds and rearrangements are exact in every tier.
 *
 * <pre>{@code
 * float dot = FixedOrderSum.of(acc0.add(acc1));
 * }</pre>
 */
public final class FixedOrderSum {
    private static final VectorShuffle<Float> SWAP_2_OF_4 = swap(FloatVector.SPECIES_128, 2);
    private static final VectorShuffle<Float> SWAP_1_OF_4 = swap(FloatVector.SPECIES_128, 1);
    private static final VectorShuffle<Float> SWAP_4_OF_8 = swap(FloatVector.SPECIES_256, 4);
    private static final VectorShuffle<Float> SWAP_2_OF_8 = swap(FloatVector.SPECIES_256, 2);
    private static final VectorShuffle<Float> SWAP_1_OF_8 = swap(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> SWAP_8_OF_16 = swap(FloatVector.SPECIES_512, 8);
    private static final VectorShuffle<Float> SWAP_4_OF_16 = swap(FloatVector.SPECIES_512, 4);
    private static final VectorShuffle<Float> SWAP_2_OF_16 = swap(FloatVector.SPECIES_512, 2);
    private static final VectorShuffle<Float> SWAP_1_OF_16 = swap(FloatVector.SPECIES_512, 1);
    private static final VectorMask<Float> UPPER_4_OF_8 = VectorMask.fromLong(FloatVector.SPECIES_256, 0xF0);
    private static final VectorMask<Float> UPPER_8_OF_16 = VectorMask.fromLong(FloatVector.SPECIES_512, 0xFF00);

    private FixedOrderSum() {
    }

    private static VectorShuffle<Float> swap(VectorSpecies<Float> species, int distance) {
        return VectorShuffle.fromOp(species, i -> i ^ distance);
    }

    /**
     * The lanes' sum: for eight lanes {@code ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7))},
     * likewise halving for 4 and 16; other lane counts add lane by lane from lane 0.
     */
    public static float of(FloatVector v) {
        switch (v.length()) {
            case 4 -> {
                v = v.add(v.rearrange(SWAP_2_OF_4));
                return v.add(v.rearrange(SWAP_1_OF_4)).lane(0);
            }
            case 8 -> {
                v = v.add(v.rearrange(SWAP_4_OF_8));
                v = v.add(v.rearrange(SWAP_2_OF_8));
                return v.add(v.rearrange(SWAP_1_OF_8)).lane(0);
            }
            case 16 -> {
                v = v.add(v.rearrange(SWAP_8_OF_16));
                v = v.add(v.rearrange(SWAP_4_OF_16));
                v = v.add(v.rearrange(SWAP_2_OF_16));
                return v.add(v.rearrange(SWAP_1_OF_16)).lane(0);
            }
            default -> {
                float sum = 0f;
                for (int i = 0; i < v.length(); i++) sum += v.lane(i);
                return sum;
            }
        }
    }

    /**
     * {@link #of} of a vector stored at {@code lanes[from, from + length)}, the same bits, in scalar
     * code: for kernels where a call taking the vector itself might not be inlined and would box
     * it. Overwrites the stored lanes.
     */
    public static float ofStored(float[] lanes, int from, int length) {
        if (length == 4 || length == 8 || length == 16) {
            for (int half = length >> 1; half > 0; half >>= 1) {
                for (int i = from; i < from + half; i++) lanes[i] += lanes[i + half];
            }
            return lanes[from];
        }
        float sum = 0f;
        for (int i = from; i < from + length; i++) sum += lanes[i];
        return sum;
    }

    /**
     * Stores {@code of(a)} at {@code out[firstAt]} and {@code of(b)} at {@code out[secondAt]}, the same
     * bits, for half the shuffles: after the first halving each vector's sum is in either half, so
     * one half of each goes on in one vector. Two-row kernels use it because C2 stopped inlining
     * (NodeCountInliningCutoff) at their second {@code of} call, which then took a boxed vector
     * for every pair of rows.
     */
    public static void ofTwo(FloatVector a, FloatVector b, float[] out, int firstAt, int secondAt) {
        switch (a.length()) {
            case 8 -> {
                // b's upper lanes hold b[i + 4] + b[i], the same bits as b[i] + b[i + 4]: addition commutes.
                FloatVector v = a.add(a.rearrange(SWAP_4_OF_8)).blend(b.add(b.rearrange(SWAP_4_OF_8)), UPPER_4_OF_8);
                v = v.add(v.rearrange(SWAP_2_OF_8));
                v = v.add(v.rearrange(SWAP_1_OF_8));
                out[firstAt] = v.lane(0);
                out[secondAt] = v.lane(4);
            }
            case 16 -> {
                FloatVector v = a.add(a.rearrange(SWAP_8_OF_16)).blend(b.add(b.rearrange(SWAP_8_OF_16)), UPPER_8_OF_16);
                v = v.add(v.rearrange(SWAP_4_OF_16));
                v = v.add(v.rearrange(SWAP_2_OF_16));
                v = v.add(v.rearrange(SWAP_1_OF_16));
                out[firstAt] = v.lane(0);
                out[secondAt] = v.lane(8);
            }
            default -> {
                out[firstAt] = of(a);
                out[secondAt] = of(b);
            }
        }
    }
}
