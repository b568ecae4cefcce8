package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.qwen4j.spi.TensorFormat;

/**
 * The oracle the dot kernels are held to: the format's scalar {@code dequantize}, then a plain
 * dot product accumulated in double.
 *
 * <p>Tolerance: a float dot product of {@code n} terms, summed in any order (the kernels use
 * several lane-parallel accumulators and a final tree reduction), is within
 * {@code γ(n) · Σ|w·x|} of the exact value, where {@code γ(n) = n·u / (1 − n·u)} and
 * {@code u = 2^-24} (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>, §3.1). The
 * block formats round twice more (the block's partial sum times its scale, folded into the
 * accumulator), so the bound used is {@code γ(n + 2)}; the double-precision oracle's own error is
 * below {@code n · 2^-53 · Σ|w·x|}, which the 1 % margin covers. The bound scales with the length
 * and with the magnitudes, and it is loose enough never to fail on correct code yet tight enough
 * that a misplaced, dropped or mis-decoded element (an error of order one term) is far outside it.
 * Both kernels are held to it: {@code dot} on natural activations, and {@code dotOrdered} on
 * activations the format has rearranged for it.
 */
final class DotOracle {

    private static final double U = 0x1p-24;

    private DotOracle() {
    }

    /** Encodes {@code values} in {@code format} into a fresh segment. */
    static MemorySegment encode(TensorFormat format, float[] values) {
        MemorySegment segment = Arena.ofAuto().allocate(Math.max(1, format.byteSize(values.length)));
        format.quantize(values, 0, segment, 0, values.length);
        return segment;
    }

    /** Asserts that {@code format.dot} agrees with dequantize-then-dot-in-double within {@code γ(n + 2)}. */
    static void assertDotMatchesReference(TensorFormat format, MemorySegment w, long byteOffset,
                                          float[] x, int xOffset, int n) {
        assertMatchesReference("dot", format.dot(w, byteOffset, x, xOffset, n), format, w, byteOffset, x, xOffset, n);
        assertMatchesReference("dotOrdered", dotOrdered(format, w, byteOffset, x, xOffset, n),
                format, w, byteOffset, x, xOffset, n);
    }

    /** Asserts that {@code actual}, what {@code kernel} computed for the row, is within {@code γ(n + 2)} of the reference. */
    static void assertMatchesReference(String kernel, float actual, TensorFormat format, MemorySegment w, long byteOffset,
                                       float[] x, int xOffset, int n) {
        float[] decoded = new float[n];
        format.dequantize(w, byteOffset, decoded, 0, n);
        double exact = 0;
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            double product = (double) decoded[i] * x[xOffset + i];
            exact += product;
            magnitude += Math.abs(product);
        }
        double sumOfMagnitudes = magnitude;
        double nu = (n + 2) * U;
        double tolerance = 1.01 * nu / (1 - nu) * magnitude;
        assertEquals(exact, actual, tolerance,
                () -> format.name() + " " + kernel + " of length " + n + " (Σ|w·x| = " + sumOfMagnitudes + ")");
    }

    /**
     * {@code format.dotOrdered} on {@code x} passed through {@code orderActivations}, at the same
     * offset. The block formats' ordering is a rearrangement by exact powers of two, which every
     * float vector has.
     */
    static float dotOrdered(TensorFormat format, MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float[] ordered = new float[xOffset + format.orderedLength(n)];
        assertTrue(format.orderActivations(x, xOffset, ordered, xOffset, n), format.name() + " refused to order activations");
        return format.dotOrdered(w, byteOffset, ordered, xOffset, n);
    }
}
