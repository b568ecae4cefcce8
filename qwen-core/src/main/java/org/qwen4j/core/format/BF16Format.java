package org.qwen4j.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.spi.TensorFormat;

/**
 * bfloat16, little-endian, one element per block ({@code GGML_TYPE_BF16}, type 30): the upper half
 * of a float, so decoding is a 16-bit shift. Encoding follows llama.cpp's
 * {@code ggml_compute_fp32_to_bf16}: round to nearest even, and NaNs stay NaNs (made quiet) rather
 * than rounding into infinity.
 */
public final class BF16Format implements TensorFormat {

    /** The {@code ggml_type} number of BF16. */
    public static final int GGML_TYPE = 30;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // The machine's widest vectors, but at least 128 bits so that the 16-bit loads below have a shape.
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 128
            ? FloatVector.SPECIES_PREFERRED
            : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    // As many 16-bit lanes as F has float lanes, so that one load widens into one float vector.
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    // The decode kernel loads twice as many values as F has lanes, as ints: int lane i holds values
    // 2i (low half) and 2i + 1 (high half), each of which becomes a float with one shift or one
    // mask, with no widening instruction. Its activations come as groups of that many values, the
    // even-numbered first.
    private static final VectorSpecies<Short> PAIRS = VectorSpecies.of(short.class, F.vectorShape());
    private static final int GROUP = 2 * F.length();
    private static final int HIGH_HALF = 0xFFFF_0000;
    /** Rows the decode kernel reads side by side. */
    private static final int ROWS_PER_PASS = 2;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public BF16Format() {
    }

    @Override
    public String name() {
        return "BF16";
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

    /** Decodes one bfloat16 bit pattern. */
    static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Encodes a float as bfloat16, rounding to nearest even. */
    static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // Truncating could clear every remaining mantissa bit and turn the NaN into infinity.
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = toFloat(src.get(SHORT_LE, byteOffset + (long) i * Short.BYTES));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, byteOffset + (long) i * Short.BYTES, fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        DotArguments.check(x, xOffset, n);
        int lanes = F.length();
        int step = 4 * lanes;
        long vbytes = (long) lanes * Short.BYTES;
        // Four independent accumulators hide the fma latency: one chain alone would stall on it.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - step; i += step) {
            long p = byteOffset + (long) i * Short.BYTES;
            int q = xOffset + i;
            acc0 = load(w, p).fma(FloatVector.fromArray(F, x, q), acc0);
            acc1 = load(w, p + vbytes).fma(FloatVector.fromArray(F, x, q + lanes), acc1);
            acc2 = load(w, p + 2 * vbytes).fma(FloatVector.fromArray(F, x, q + 2 * lanes), acc2);
            acc3 = load(w, p + 3 * vbytes).fma(FloatVector.fromArray(F, x, q + 3 * lanes), acc3);
        }
        for (; i <= n - lanes; i += lanes) {
            acc0 = load(w, byteOffset + (long) i * Short.BYTES).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = FixedOrderSum.of(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, byteOffset + (long) i * Short.BYTES)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public boolean ordersActivations() {
        return true;
    }

    /** Each whole group of {@link #GROUP} values as its even-numbered values, then its odd-numbered ones; a shorter tail as it is. */
    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int half = GROUP / 2;
        int g = 0;
        for (; g <= n - GROUP; g += GROUP) {
            for (int i = 0; i < half; i++) {
                dst[dstOffset + g + i] = x[xOffset + g + 2 * i];
                dst[dstOffset + g + half + i] = x[xOffset + g + 2 * i + 1];
            }
        }
        System.arraycopy(x, xOffset + g, dst, dstOffset + g, n - g);
        return true;
    }

    /**
     * The decode kernel: one load per {@link #GROUP} values and one integer operation per float
     * vector, where {@link #dot} widens with a load and a shift per vector. Two accumulators, so
     * that {@link #dotOrderedFiniteRows}, which must sum each row the same way, keeps every row's
     * accumulators in registers (with four per row, C2 spilled them even for two rows, which then
     * read no faster than one).
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        DotArguments.check(x, xOffset, n);
        int lanes = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - GROUP; i += GROUP) {
            IntVector v = pairs(w, byteOffset + (long) i * Short.BYTES);
            acc0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = v.and(HIGH_HALF).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOffset + i + lanes), acc1);
        }
        return tail(FixedOrderSum.of(acc0.add(acc1)), w, byteOffset, x, xOffset, i, n);
    }

    /** Two: see {@link #dotOrderedFiniteRows}. */
    @Override
    public int rowsPerPass() {
        return ROWS_PER_PASS;
    }

    /**
     * {@link #dotOrdered} for two rows in one pass, each row's lanes summed exactly as the
     * single-row kernel sums them, with the activations loaded once for both. Two threads reading
     * the 0.5B model's matrices once each (a by-hand harness, six runs alternated): 14.9–17.6 GB/s
     * one row at a time, 19.1–21.1 two; four rows were no faster than two in the whole model.
     */
    @Override
    public void dotOrderedFiniteRows(MemorySegment w, long byteOffset, long rowDistance, int count,
                                     float[] x, int xOffset, int n, float[] out, int outOffset, int outDistance) {
        if (count != ROWS_PER_PASS) {
            TensorFormat.super.dotOrderedFiniteRows(w, byteOffset, rowDistance, count, x, xOffset, n, out, outOffset, outDistance);
            return;
        }
        DotArguments.check(x, xOffset, n);
        int lanes = F.length();
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        long ob = byteOffset + rowDistance;
        int i = 0;
        for (; i <= n - GROUP; i += GROUP) {
            long step = (long) i * Short.BYTES;
            FloatVector x0 = FloatVector.fromArray(F, x, xOffset + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOffset + i + lanes);
            IntVector v = pairs(w, byteOffset + step);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            a1 = v.and(HIGH_HALF).reinterpretAsFloats().fma(x1, a1);
            v = pairs(w, ob + step);
            b0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, b0);
            b1 = v.and(HIGH_HALF).reinterpretAsFloats().fma(x1, b1);
        }
        out[outOffset] = tail(FixedOrderSum.of(a0.add(a1)), w, byteOffset, x, xOffset, i, n);
        out[outOffset + outDistance] = tail(FixedOrderSum.of(b0.add(b1)), w, ob, x, xOffset, i, n);
    }

    /** A group's values as ints: lane {@code k} holds value {@code 2k} in its low half, {@code 2k + 1} in its high half. */
    private static IntVector pairs(MemorySegment w, long offset) {
        return ShortVector.fromMemorySegment(PAIRS, w, offset, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
    }

    /** {@code sum} plus the products of values {@code [from, n)}, one at a time, in order. */
    private static float tail(float sum, MemorySegment w, long byteOffset, float[] x, int xOffset, int from, int n) {
        for (int i = from; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, byteOffset + (long) i * Short.BYTES)) * x[xOffset + i];
        }
        return sum;
    }

    /** Loads {@code F.length()} bfloat16 values; each is the upper half of its float. */
    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int lanes = F.length();
        int i = 0;
        for (; i <= n - lanes; i += lanes) load(src, byteOffset + (long) i * Short.BYTES).intoArray(dst, dstOffset + i);
        if (i < n) dequantize(src, byteOffset + (long) i * Short.BYTES, dst, dstOffset + i, n - i);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector halves = ShortVector.fromMemorySegment(S, w, offset, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) halves.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    @Override
    public String toString() {
        return name();
    }
}
