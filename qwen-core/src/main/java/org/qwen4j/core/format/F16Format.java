package org.qwen4j.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.spi.TensorFormat;

/**
 * IEEE 754 half precision (binary16), little-endian, one element per block ({@code GGML_TYPE_F16},
 * type 1). Encoding rounds to nearest even, as llama.cpp's {@code GGML_FP32_TO_FP16} does.
 *
 * <p>On 256-bit machines the dot kernel converts halves in registers (see {@link #dot}); elsewhere,
 * and for the batched products' {@link #dequantizeFast}, slices of halves are widened to floats
 * with the hardware's conversion (see {@link #widen}).
 */
public final class F16Format implements TensorFormat {

    /** The {@code ggml_type} number of F16. */
    public static final int GGML_TYPE = 1;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // The in-register kernels are written for eight lanes, so 512-bit machines run them at 256 bits
    // too: with their preferred species they fell back to the widening kernel and its scratch row.
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_PREFERRED;
    /** Halves widened per step of the dot product: a row slice that stays in L1 between widening and use. */
    private static final int CHUNK = 512;
    // The decode kernel converts halves with integer operations: a sign-extended half shifted left by
    // 13 and masked keeps its sign, exponent and mantissa where a float has them, which read as a
    // float is the half's value times 2^-112 for every finite half, subnormals included.
    private static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int HALF_FIELDS_AS_FLOAT = 0x8FFF_E000;
    /** Where a half's exponent field lands; all ones there is a half infinity or NaN. */
    private static final int HALF_EXPONENT_AS_FLOAT = 0x0F80_0000;
    private static final float HALF_TO_FLOAT = 0x1p112f;
    private static final float FLOAT_TO_HALF_FIELDS = 0x1p-112f;
    /**
     * Ordered activations are the activations times 2^112, so that the decode kernel multiplies the
     * halves' fields as they are, one instruction fewer per eight halves (the products are the same
     * numbers: both factors are exact). Activations of this magnitude or more would overflow.
     */
    private static final float ORDERABLE_LIMIT = 0x1p16f;
    /** Rows the decode kernel reads side by side. */
    private static final int ROWS_PER_PASS = 2;
    /** Per thread, so that the kernel allocates nothing and stays safe to call from any thread. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK]);
    /** Per thread: ordered activations scaled back, for the rare row that needs the widening kernel. */
    private static final ThreadLocal<float[]> UNSCALED = ThreadLocal.withInitial(() -> new float[0]);

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public F16Format() {
    }

    @Override
    public String name() {
        return "F16";
    }

    @Override
    public int ggmlType() {
        return GGML_TYPE;
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int blockBytes() {
        return Short.BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + (long) i * Short.BYTES));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, byteOffset + (long) i * Short.BYTES, Float.floatToFloat16(src[srcOffset + i]));
        }
    }

    /**
     * On 256-bit machines, halves are converted in registers with integer shifts and masks (the
     * Vector API has no half-precision conversion), in one pass with no scratch row. Infinities and
     * NaNs do not survive that conversion; a row holding one is recomputed by the widening kernel,
     * which keeps them. Elsewhere the widening kernel is the kernel.
     */
    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        DotArguments.check(x, xOffset, n);
        if (F.length() == 8) {
            float sum = dotInRegisters(w, byteOffset, x, xOffset, n, true, false);
            if (!Float.isNaN(sum)) return sum;
        }
        return dotWidening(w, byteOffset, x, xOffset, n);
    }

    @Override
    public boolean ordersActivations() {
        return F.length() == 8;
    }

    /**
     * The activations times 2^112 (see {@link #dotOrdered}); false, leaving the product to
     * {@link #dot}, when one is NaN or of magnitude 2^16 or more, where the scaling would overflow.
     */
    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ordersActivations()) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        FloatVector largest = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOffset + i);
            largest = largest.max(v.abs());
            v.mul(HALF_TO_FLOAT).intoArray(dst, dstOffset + i);
        }
        float max = largest.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, Math.abs(x[xOffset + i]));
            dst[dstOffset + i] = x[xOffset + i] * HALF_TO_FLOAT;
        }
        return max < ORDERABLE_LIMIT; // false for NaN too
    }

    /**
     * The in-register kernel on activations that {@link #orderActivations} scaled by 2^112: the halves'
     * fields, read as floats, are their values times 2^-112, so each product is already the
     * weight times the activation, exactly as {@link #dot} computes it, without the multiply that
     * rescales the fields. Emulated alone (one thread, rows of 896): 11.7 → 15.9 GB/s in L1,
     * 6.3 → 7.0 from memory. A row holding an infinity or NaN is recomputed by the widening kernel
     * on the activations scaled back (exact).
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ordersActivations()) return dot(w, byteOffset, x, xOffset, n);
        DotArguments.check(x, xOffset, n);
        float sum = dotInRegisters(w, byteOffset, x, xOffset, n, true, true);
        if (!Float.isNaN(sum)) return sum;
        float[] unscaled = UNSCALED.get();
        if (unscaled.length < n) UNSCALED.set(unscaled = new float[n]);
        for (int i = 0; i < n; i++) unscaled[i] = x[xOffset + i] * FLOAT_TO_HALF_FIELDS;
        return dotWidening(w, byteOffset, unscaled, 0, n);
    }

    /**
     * {@link #dotOrdered} without its look-out for infinities and NaNs, two instructions of
     * six per eight halves: 5–10 % more decode throughput on two threads.
     */
    @Override
    public float dotOrderedFinite(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ordersActivations()) return dot(w, byteOffset, x, xOffset, n);
        DotArguments.check(x, xOffset, n);
        return dotInRegisters(w, byteOffset, x, xOffset, n, false, true);
    }

    /**
     * With {@code check}, NaN when the row holds a half infinity or NaN (or the activations make the
     * sum NaN); without, such halves are read as finite numbers. {@code scaled}: the activations
     * are {@link #orderActivations ordered}, times 2^112.
     */
    private static float dotInRegisters(MemorySegment w, long byteOffset, float[] x, int xOffset, int n,
                                        boolean check, boolean scaled) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        IntVector exponents = IntVector.zero(I);
        int i = 0;
        long o = byteOffset;
        for (; i <= n - 16; i += 16, o += 32) {
            IntVector b0 = floatFields(w, o);
            IntVector b1 = floatFields(w, o + 16);
            if (check) exponents = exponents.max(b0.and(HALF_EXPONENT_AS_FLOAT)).max(b1.and(HALF_EXPONENT_AS_FLOAT));
            FloatVector h0 = b0.reinterpretAsFloats();
            FloatVector h1 = b1.reinterpretAsFloats();
            if (!scaled) {
                h0 = h0.mul(HALF_TO_FLOAT);
                h1 = h1.mul(HALF_TO_FLOAT);
            }
            acc0 = h0.fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = h1.fma(FloatVector.fromArray(F, x, xOffset + i + 8), acc1);
        }
        if (check && exponents.reduceLanes(VectorOperators.MAX) == HALF_EXPONENT_AS_FLOAT) return Float.NaN;
        return tail(FixedOrderSum.of(acc0.add(acc1)), w, o, x, xOffset + i, n - i, scaled);
    }

    /** Two, on 256-bit machines: see {@link #dotOrderedFiniteRows}. */
    @Override
    public int rowsPerPass() {
        return ordersActivations() ? ROWS_PER_PASS : 1;
    }

    /**
     * {@link #dotOrderedFinite} for two rows in one pass, each row's lanes summed exactly as the
     * single-row kernel sums them, with the activations loaded once for both. Two threads reading
     * the 0.5B model's matrices once each (a by-hand harness, six runs alternated): 11.8–15.0 GB/s
     * one row at a time, 13.4–18.0 two. Four rows made C2 give up on the Vector API calls
     * (decode fell to a third).
     */
    @Override
    public void dotOrderedFiniteRows(MemorySegment w, long byteOffset, long rowDistance, int count,
                                     float[] x, int xOffset, int n, float[] out, int outOffset, int outDistance) {
        if (count != ROWS_PER_PASS || !ordersActivations()) {
            TensorFormat.super.dotOrderedFiniteRows(w, byteOffset, rowDistance, count, x, xOffset, n, out, outOffset, outDistance);
            return;
        }
        DotArguments.check(x, xOffset, n);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        int i = 0;
        long oa = byteOffset;
        long ob = oa + rowDistance;
        for (; i <= n - 16; i += 16, oa += 32, ob += 32) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOffset + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOffset + i + 8);
            a0 = floatFields(w, oa).reinterpretAsFloats().fma(x0, a0);
            a1 = floatFields(w, oa + 16).reinterpretAsFloats().fma(x1, a1);
            b0 = floatFields(w, ob).reinterpretAsFloats().fma(x0, b0);
            b1 = floatFields(w, ob + 16).reinterpretAsFloats().fma(x1, b1);
        }
        int xi = xOffset + i;
        out[outOffset] = tail(FixedOrderSum.of(a0.add(a1)), w, oa, x, xi, n - i, true);
        out[outOffset + outDistance] = tail(FixedOrderSum.of(b0.add(b1)), w, ob, x, xi, n - i, true);
    }

    /** {@code sum} plus the last {@code count} (fewer than 16) products, one at a time, in order. */
    private static float tail(float sum, MemorySegment w, long o, float[] x, int xi, int count, boolean scaled) {
        for (int k = 0; k < count; k++, o += Short.BYTES) {
            float xk = scaled ? x[xi + k] * FLOAT_TO_HALF_FIELDS : x[xi + k];
            sum += Float.float16ToFloat(w.get(SHORT_LE, o)) * xk;
        }
        return sum;
    }

    /** Eight halves from {@code offset}, their fields moved to a float's places (value times 2^-112). */
    private static IntVector floatFields(MemorySegment w, long offset) {
        IntVector halves = (IntVector) ShortVector.fromMemorySegment(HALVES, w, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        return halves.lanewise(VectorOperators.LSHL, 13).and(HALF_FIELDS_AS_FLOAT);
    }

    private static float dotWidening(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float[] row = SCRATCH.get();
        int lanes = F.length();
        int step = 4 * lanes;
        // Four independent accumulators hide the fma latency: one chain alone would stall on it.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        float tail = 0f;
        for (int from = 0; from < n; from += CHUNK) {
            int len = Math.min(CHUNK, n - from);
            widen(w, byteOffset + (long) from * Short.BYTES, row, 0, len);
            int q = xOffset + from;
            int i = 0;
            for (; i <= len - step; i += step) {
                acc0 = FloatVector.fromArray(F, row, i).fma(FloatVector.fromArray(F, x, q + i), acc0);
                acc1 = FloatVector.fromArray(F, row, i + lanes).fma(FloatVector.fromArray(F, x, q + i + lanes), acc1);
                acc2 = FloatVector.fromArray(F, row, i + 2 * lanes).fma(FloatVector.fromArray(F, x, q + i + 2 * lanes), acc2);
                acc3 = FloatVector.fromArray(F, row, i + 3 * lanes).fma(FloatVector.fromArray(F, x, q + i + 3 * lanes), acc3);
            }
            for (; i <= len - lanes; i += lanes) {
                acc0 = FloatVector.fromArray(F, row, i).fma(FloatVector.fromArray(F, x, q + i), acc0);
            }
            for (; i < len; i++) tail += row[i] * x[q + i];
        }
        return FixedOrderSum.of(acc0.add(acc1).add(acc2.add(acc3))) + tail;
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        widen(src, byteOffset, dst, dstOffset, n);
    }

    /**
     * Halves to floats. A plain loop over {@link Float#float16ToFloat} on purpose: C2 compiles it
     * into the hardware's packed conversion (F16C {@code vcvtph2ps}, eight values per instruction),
     * which the Vector API has no operation for; measured 12.5 against 8 GB/s for the integer
     * rebiasing this replaced.
     */
    private static void widen(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + 2L * i));
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
