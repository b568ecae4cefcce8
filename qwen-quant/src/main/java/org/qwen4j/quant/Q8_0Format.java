package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.core.simd.KernelWidth;
import org.qwen4j.spi.TensorFormat;

/**
 * llama.cpp's {@code Q8_0} ({@code GGML_TYPE_Q8_0}, type 8): blocks of 32 values, each block a
 * little-endian fp16 scale {@code d} followed by 32 signed bytes {@code q}; value {@code i} of the
 * block is {@code d * q[i]}. 34 bytes per 32 values, 8.5 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q8_0_ref}, bit for bit: {@code d = amax / 127} and
 * {@code q = roundf(x / d)} (ties away from zero), the quants computed with the float scale before
 * it is rounded to fp16. Identical output for finite inputs makes files written here
 * interchangeable with llama.cpp's and lets tests compare bytes.
 */
public final class Q8_0Format implements TensorFormat {

    /** The {@code ggml_type} number of Q8_0. */
    public static final int GGML_TYPE = 8;
    /** Values per block. */
    public static final int BLOCK_SIZE = 32;
    /** Bytes per block: the fp16 scale and 32 quants. */
    public static final int BLOCK_BYTES = Short.BYTES + BLOCK_SIZE;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // Eight quants per load, widened to floats. A 256-bit float vector takes them in one piece;
    // wider machines gain nothing from 512 bits on a kernel that waits for memory, and narrower
    // ones (128-bit) take each load in two halves.
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    private static final int PARTS = B.length() / F.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    // On 512-bit machines a block is two loads of 16 quants, each widened to floats in one piece,
    // in their natural order: fewer instructions per block than the 256-bit kernel's shifts.
    private static final boolean WIDE = KernelWidth.wide();
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    // The ordered kernel loads a block's 32 quants as eight ints and takes byte k of every int with
    // shifts, so lane i of its k-th vector holds quant 4i + k.
    private static final BlockOrder ORDER = BlockOrder.of(4, 8, (k, i) -> 4 * i + k);

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q8_0Format() {
    }

    @Override
    public String name() {
        return "Q8_0";
    }

    @Override
    public int ggmlType() {
        return GGML_TYPE;
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public int blockBytes() {
        return BLOCK_BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(src.get(SHORT_LE, block));
            for (int j = 0; j < BLOCK_SIZE; j++) {
                dst[dstOffset + b * BLOCK_SIZE + j] = d * src.get(ValueLayout.JAVA_BYTE, block + Short.BYTES + j);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            int from = srcOffset + b * BLOCK_SIZE;
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float amax = 0f;
            for (int j = 0; j < BLOCK_SIZE; j++) {
                amax = Math.max(amax, Math.abs(src[from + j]));
            }
            float d = amax / 127;
            float id = d != 0f ? 1f / d : 0f;
            dst.set(SHORT_LE, block, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK_SIZE; j++) {
                byte q = (byte) roundHalfAwayFromZero(src[from + j] * id);
                dst.set(ValueLayout.JAVA_BYTE, block + Short.BYTES + j, q);
            }
        }
    }

    /**
     * C's {@code roundf}, which the reference quantizer uses: ties go away from zero, where
     * {@link Math#round(float)} would send -2.5 to -2. In double, adding one half to a float's
     * magnitude cannot round up past the next integer, which it could in float (0.49999997f + 0.5f
     * is 1). The clamp only matters for non-finite input, where C's conversion is undefined.
     */
    static int roundHalfAwayFromZero(float v) {
        double r = Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
        return (int) Math.clamp(r, Byte.MIN_VALUE, Byte.MAX_VALUE);
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        if (!ordersActivations()) return dotNarrow(w, byteOffset, x, xOffset, n);
        // Rare outside tests: the backend orders a product's activations once and calls dotOrdered.
        return dotOrdered(w, byteOffset, ORDER.applied(x, xOffset, n), 0, n);
    }

    @Override
    public boolean ordersActivations() {
        return !WIDE && F.length() == 8;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ordersActivations()) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        ORDER.apply(x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The kernel on 256-bit machines: one 256-bit load per block, bytes sign-extended by a shift
     * pair within each int lane. Compared with the natural-order kernel it replaced (two loads and
     * four byte-to-float widenings, each a shuffle on x86), it runs 1.35 to 1.4 times as fast on one
     * thread (7.3 → 10 GB/s on rows of 896 in cache), so {@link #dot} orders its activations and
     * comes here too.
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ordersActivations()) return dot(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT_LE, block)));
            IntVector q = IntVector.fromMemorySegment(I, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN);
            // Byte k of every int lane, sign-extended: shifted to the top, then arithmetically down;
            // written out, not put in a helper (see TensorFormat.dotOrdered).
            FloatVector q0 = (FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector q1 = (FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector q2 = (FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24)
                    .convert(VectorOperators.I2F, 0);
            FloatVector q3 = (FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
            FloatVector s0 = q0.mul(FloatVector.fromArray(F, x, xi));
            FloatVector s1 = q1.mul(FloatVector.fromArray(F, x, xi + 8));
            s0 = q2.fma(FloatVector.fromArray(F, x, xi + 16), s0);
            s1 = q3.fma(FloatVector.fromArray(F, x, xi + 24), s1);
            acc0 = s0.fma(d, acc0);
            acc1 = s1.fma(d, acc1);
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    /**
     * The kernel on 512-bit machines, natural order: per block two 16-byte loads, each widened to
     * sixteen floats, two multiply-adds and one for the scale, onto one of two chains that take
     * alternate blocks (swapped after each block, as in {@link #dotWideRows}). Package-private so
     * that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector a0 = FloatVector.zero(W);
        FloatVector a1 = FloatVector.zero(W);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // Written out, not put in a helper (see TensorFormat.dotOrdered).
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector a = q1.fma(FloatVector.fromArray(W, x, xi + 16), q0.mul(FloatVector.fromArray(W, x, xi)))
                    .fma(FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT_LE, block))), a0);
            a0 = a1;
            a1 = a;
        }
        return FixedOrderSum.of(a0.add(a1));
    }

    /** Two on 512-bit machines: see {@link #dotOrderedFiniteRows}. */
    @Override
    public int rowsPerPass() {
        return WIDE ? 2 : 1;
    }

    /**
     * On 512-bit machines, {@link #dotWide} for two rows in one pass (see {@link #dotWideRows});
     * elsewhere one row after another.
     */
    @Override
    public void dotOrderedFiniteRows(MemorySegment w, long byteOffset, long rowDistance, int count,
                                     float[] x, int xOffset, int n, float[] out, int outOffset, int outDistance) {
        if (!WIDE || count != 2) {
            TensorFormat.super.dotOrderedFiniteRows(w, byteOffset, rowDistance, count, x, xOffset, n, out, outOffset, outDistance);
            return;
        }
        dotWideRows(w, byteOffset, rowDistance, x, xOffset, n, out, outOffset, outDistance);
    }

    /**
     * {@link #dotWide} for the rows at {@code byteOffset} and {@code byteOffset + rowDistance} in one
     * pass, each summed exactly as {@link #dotWide} sums it, the activations loaded once for both:
     * two memory streams per thread. tg128 of the 0.5B Q8_0 model on the Zen 5 (two threads, four
     * pairs alternated with llama.cpp): 40.9 → 50.5 tokens/s, llama.cpp 46.4. Package-private so
     * that tests run it on any machine.
     */
    static void dotWideRows(MemorySegment w, long byteOffset, long rowDistance, float[] x, int xOffset, int n,
                            float[] out, int outOffset, int outDistance) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        // One block per step, the chains swapped after each, exactly as in dotWide: a two-block
        // step for two rows was too large for C2 to inline every vector operation.
        FloatVector a0 = FloatVector.zero(W);
        FloatVector a1 = FloatVector.zero(W);
        FloatVector b0 = FloatVector.zero(W);
        FloatVector b1 = FloatVector.zero(W);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            long other = block + rowDistance;
            FloatVector x0 = FloatVector.fromArray(W, x, xi);
            FloatVector x1 = FloatVector.fromArray(W, x, xi + 16);
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector r0 = (FloatVector) ByteVector.fromMemorySegment(B16, w, other + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector r1 = (FloatVector) ByteVector.fromMemorySegment(B16, w, other + Short.BYTES + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0);
            FloatVector a = q1.fma(x1, q0.mul(x0)).fma(FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT_LE, block))), a0);
            FloatVector b = r1.fma(x1, r0.mul(x0)).fma(FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT_LE, other))), b0);
            a0 = a1;
            a1 = a;
            b0 = b1;
            b1 = b;
        }
        // Lane-wise addition is commutative, so the chains' order after the swaps does not matter.
        FixedOrderSum.ofTwo(a0.add(a1), b0.add(b1), out, outOffset, outOffset + outDistance);
    }

    private static float dotNarrow(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Two independent chains, one per half block; each half is summed unscaled first, so the
        // scale costs one fma per 16 values instead of a multiply per 8.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT_LE, block)));
            long quants = block + Short.BYTES;
            acc0 = sixteen(load(w, quants), load(w, quants + 8), x, xi).fma(d, acc0);
            acc1 = sixteen(load(w, quants + 16), load(w, quants + 24), x, xi + 16).fma(d, acc1);
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int out = dstOffset;
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, out += BLOCK_SIZE) {
            float d = Float.float16ToFloat(src.get(SHORT_LE, block));
            for (int eight = 0; eight < BLOCK_SIZE; eight += 8) {
                ByteVector q = load(src, block + Short.BYTES + eight);
                for (int part = 0; part < PARTS; part++) {
                    widen(q, part).mul(d).intoArray(dst, out + eight + part * F.length());
                }
            }
        }
    }

    private static ByteVector load(MemorySegment w, long offset) {
        return ByteVector.fromMemorySegment(B, w, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /** Lane-wise partial sums of {@code q[k] * x[xi + k]} over sixteen quants, given as two eights. */
    private static FloatVector sixteen(ByteVector first, ByteVector second, float[] x, int xi) {
        FloatVector sum = widen(first, 0).mul(FloatVector.fromArray(F, x, xi));
        for (int part = 1; part < PARTS; part++) {
            sum = widen(first, part).fma(FloatVector.fromArray(F, x, xi + part * F.length()), sum);
        }
        for (int part = 0; part < PARTS; part++) {
            sum = widen(second, part).fma(FloatVector.fromArray(F, x, xi + 8 + part * F.length()), sum);
        }
        return sum;
    }

    private static FloatVector widen(ByteVector quants, int part) {
        return (FloatVector) quants.convertShape(VectorOperators.B2F, F, part);
    }

    @Override
    public String toString() {
        return name();
    }
}
