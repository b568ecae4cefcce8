package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.core.simd.KernelWidth;
import org.qwen4j.spi.TensorFormat;

/**
 * llama.cpp's {@code Q4_0} ({@code GGML_TYPE_Q4_0}, type 2): blocks of 32 values, each block a
 * little-endian fp16 scale {@code d} followed by 16 bytes of 4-bit quants. Byte {@code j} holds
 * value {@code j} in its low nibble and value {@code j + 16} in its high nibble; a nibble {@code q}
 * stands for {@code d * (q - 8)}. 18 bytes per 32 values, 4.5 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q4_0_ref}, bit for bit: the scale comes from the value
 * of largest magnitude <em>with its sign</em>, {@code d = max / -8}, so that value maps to nibble 0
 * (-8, the one level without a positive twin) and the rest to
 * {@code min(15, trunc(x · (1/d) + 8.5))}.
 */
public final class Q4_0Format implements TensorFormat {

    /** The {@code ggml_type} number of Q4_0. */
    public static final int GGML_TYPE = 2;
    /** Values per block. */
    public static final int BLOCK_SIZE = 32;
    /** Bytes per block: the fp16 scale and 16 bytes of nibbles. */
    public static final int BLOCK_BYTES = Short.BYTES + BLOCK_SIZE / 2;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // Eight bytes per load give eight low and eight high nibbles. A 256-bit float vector takes each
    // eight in one piece; wider machines gain nothing from 512 bits on a kernel that waits for
    // memory, and narrower ones (128-bit) take them in two halves.
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    private static final int PARTS = B.length() / F.length();
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    // On 512-bit machines decode reads two rows per pass (see dotWideRows), in natural order: a
    // block's sixteen bytes zero-extended to sixteen ints, so each half block is a mask or a shift
    // and a lane select from the block's sixteen weights, small enough for C2 to compile two rows'
    // worth in one loop.
    private static final boolean WIDE = KernelWidth.wide();
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    // The sixteen levels q − 8 of a nibble q; times a block's scale they are its sixteen possible
    // weights, exactly (a 4-bit integer times an fp16 value fits a float's mantissa).
    private static final FloatVector LEVELS = FloatVector.fromArray(W,
            new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}, 0);
    // The ordered kernel zero-extends a block's 16 packed bytes to shorts and reads them as eight
    // ints: int lane i holds bytes 2i and 2i + 1, so its nibbles at bits 0, 4, 16 and 20 are values
    // 2i, 2i + 16, 2i + 1 and 2i + 17. The nibbles at bits 4 and 16 are masked where they lie, not
    // shifted down, so they come out 16 and 65536 times too large; their activations are scaled
    // by 1/16 and 1/65536 instead, which is exact.
    private static final BlockOrder ORDER = BlockOrder.of(4, 8, (k, i) -> 2 * i + (k & 1) * 16 + (k >> 1))
            .scaledByPowersOfTwo(0, -4, -16, 0);
    // 2^23 + n as a float has n in its low mantissa bits: or-ing the nibble into the bits of 2^23
    // and subtracting 2^23 + 8 gives n - 8 exactly, without an int-to-float conversion; for a
    // nibble left at bit s the same subtraction with 8·2^s gives (n - 8)·2^s, exact while the
    // nibble stays below bit 23 (the float's exponent).
    private static final int TWO_POW_23_BITS = 0x4B00_0000;
    private static final float MINUS_EIGHT_AT_0 = 0x1p23f + 8f;
    private static final float MINUS_EIGHT_AT_4 = 0x1p23f + 8f * 0x1p4f;
    private static final float MINUS_EIGHT_AT_16 = 0x1p23f + 8f * 0x1p16f;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q4_0Format() {
    }

    @Override
    public String name() {
        return "Q4_0";
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
            int out = dstOffset + b * BLOCK_SIZE;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int packed = src.get(ValueLayout.JAVA_BYTE, block + Short.BYTES + j) & 0xFF;
                dst[out + j] = d * ((packed & 0x0F) - 8);
                dst[out + j + BLOCK_SIZE / 2] = d * ((packed >>> 4) - 8);
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
            float max = 0f;
            for (int j = 0; j < BLOCK_SIZE; j++) {
                float v = src[from + j];
                // Strictly greater: among equal magnitudes the first one decides the sign of d.
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1f / d : 0f;
            dst.set(SHORT_LE, block, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int lo = nibble(src[from + j] * id);
                int hi = nibble(src[from + j + BLOCK_SIZE / 2] * id);
                dst.set(ValueLayout.JAVA_BYTE, block + Short.BYTES + j, (byte) (lo | hi << 4));
            }
        }
    }

    /**
     * {@code MIN(15, (int8_t)(scaled + 8.5f))}: the float sum, then truncation toward zero. The sum
     * is at least 0.5 for finite input, so the lower clamp only catches what C leaves undefined.
     */
    private static int nibble(float scaled) {
        return Math.clamp((int) (scaled + 8.5f), 0, 15);
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
     * The kernel on 256-bit machines (also behind {@link #dot}, which orders its activations first):
     * a block's packed bytes zero-extended once to sixteen shorts (one instruction), nibbles taken
     * with masks inside int lanes (one shift, for the nibble at bit 20), no byte shuffles. 1.3 times
     * as fast as the natural-order kernel it replaced, which widened bytes with shuffles, on one
     * thread (3.7 → 4.8 GB/s on rows of 896 in cache) with shifts for every nibble; masking in place
     * saves three instructions per block (4.6 → 4.9 GB/s).
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
            ByteVector packed = ByteVector.fromMemorySegment(B16, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN);
            IntVector pairs = ((ShortVector) packed.convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).reinterpretAsInts();
            // Zero-extension leaves bits 24-31 clear, so the top nibble needs a shift but no mask.
            // The 2^23 trick is written out, not put in a helper (see TensorFormat.dotOrdered).
            FloatVector v0 = pairs.and(0xF).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(MINUS_EIGHT_AT_0);
            FloatVector v1 = pairs.and(0xF0).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(MINUS_EIGHT_AT_4);
            FloatVector v2 = pairs.and(0xF_0000).or(TWO_POW_23_BITS).reinterpretAsFloats().sub(MINUS_EIGHT_AT_16);
            FloatVector v3 = pairs.lanewise(VectorOperators.LSHR, 20).or(TWO_POW_23_BITS).reinterpretAsFloats()
                    .sub(MINUS_EIGHT_AT_0);
            FloatVector s0 = v0.mul(FloatVector.fromArray(F, x, xi));
            FloatVector s1 = v1.mul(FloatVector.fromArray(F, x, xi + 8));
            s0 = v2.fma(FloatVector.fromArray(F, x, xi + 16), s0);
            s1 = v3.fma(FloatVector.fromArray(F, x, xi + 24), s1);
            acc0 = s0.fma(d, acc0);
            acc1 = s1.fma(d, acc1);
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    /** Two on 512-bit machines: see {@link #dotOrderedFiniteRows}. */
    @Override
    public int rowsPerPass() {
        return WIDE ? 2 : 1;
    }

    /** On 512-bit machines, {@link #dotWide} for two rows in one pass (see {@link #dotWideRows}). */
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
     * The one-row kernel on 512-bit machines, natural order: per block the sixteen packed bytes
     * zero-extended to ints, low nibbles masked and high ones shifted down; each nibble selects its
     * weight {@code d·(q − 8)} from the block's sixteen (the levels times the scale, one multiply),
     * and the weights go onto two chains, low and high halves, with one multiply-add each. The
     * lane select replaces a subtraction, a conversion and the scale's multiply-add per half block
     * of the kernel before it (one thread in cache, two rows: 9.7 → 9.3 cycles per block pair;
     * 0.5B Q4_0 tg128, three alternated pairs: 59.5–60.6 → 63.1–63.7 tokens/s). Package-private
     * so that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector a0 = FloatVector.zero(W);
        FloatVector a1 = FloatVector.zero(W);
        int blocks = n / BLOCK_SIZE;
        // Written out, not put in a helper (see TensorFormat.dotOrdered); counted as in dotWideRows.
        for (int i = 0; i < blocks; i++) {
            long block = byteOffset + (long) i * BLOCK_BYTES;
            int xi = xOffset + i * BLOCK_SIZE;
            IntVector p = (IntVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector weights = LEVELS.mul(Float.float16ToFloat(w.get(SHORT_LE, block))).reinterpretAsInts();
            a0 = p.and(0x0F).selectFrom(weights).reinterpretAsFloats().fma(FloatVector.fromArray(W, x, xi), a0);
            a1 = p.lanewise(VectorOperators.LSHR, 4).selectFrom(weights).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(W, x, xi + 16), a1);
        }
        return FixedOrderSum.of(a0.add(a1));
    }

    /**
     * {@link #dotWide} for the rows at {@code byteOffset} and {@code byteOffset + rowDistance} in one
     * pass, each summed exactly as {@link #dotWide} sums it, the activations loaded once for both:
     * two memory streams per thread. tg128 of the 0.5B Q4_0 model on the Zen 5, two threads, against
     * the one-row 256-bit ordered kernel: faster in 18 of 19 alternated runs, by 3–5 % back to back
     * and 26–38 % in triples with llama.cpp. The ordered kernel's arithmetic for two rows was too
     * large for C2 to inline every vector operation. Package-private so that tests run it anywhere.
     */
    static void dotWideRows(MemorySegment w, long byteOffset, long rowDistance, float[] x, int xOffset, int n,
                            float[] out, int outOffset, int outDistance) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector a0 = FloatVector.zero(W);
        FloatVector a1 = FloatVector.zero(W);
        FloatVector b0 = FloatVector.zero(W);
        FloatVector b1 = FloatVector.zero(W);
        // Counted over blocks with an int, the offsets derived from it: C2 then proves every access
        // in bounds before the loop (with a long counter and a second induction variable it checked
        // both activation loads in every pass and nested the loop in a long-to-int strip, ~150
        // instructions per call). tg128 of the 0.5B Q4_0 model, in-process alternation: 62.9 → 65.3.
        int blocks = n / BLOCK_SIZE;
        for (int i = 0; i < blocks; i++) {
            long block = byteOffset + (long) i * BLOCK_BYTES;
            long other = block + rowDistance;
            int xi = xOffset + i * BLOCK_SIZE;
            FloatVector x0 = FloatVector.fromArray(W, x, xi);
            FloatVector x1 = FloatVector.fromArray(W, x, xi + 16);
            IntVector p = (IntVector) ByteVector.fromMemorySegment(B16, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector pw = LEVELS.mul(Float.float16ToFloat(w.get(SHORT_LE, block))).reinterpretAsInts();
            a0 = p.and(0x0F).selectFrom(pw).reinterpretAsFloats().fma(x0, a0);
            a1 = p.lanewise(VectorOperators.LSHR, 4).selectFrom(pw).reinterpretAsFloats().fma(x1, a1);
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B16, w, other + Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector qw = LEVELS.mul(Float.float16ToFloat(w.get(SHORT_LE, other))).reinterpretAsInts();
            b0 = q.and(0x0F).selectFrom(qw).reinterpretAsFloats().fma(x0, b0);
            b1 = q.lanewise(VectorOperators.LSHR, 4).selectFrom(qw).reinterpretAsFloats().fma(x1, b1);
        }
        FixedOrderSum.ofTwo(a0.add(a1), b0.add(b1), out, outOffset, outOffset + outDistance);
    }

    private static float dotNarrow(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Two independent chains, one per half block (low nibbles, high nibbles); each half is
        // summed unscaled first, so the scale costs one fma per 16 values instead of a multiply per 8.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT_LE, block)));
            ByteVector first = ByteVector.fromMemorySegment(B, w, block + Short.BYTES, ByteOrder.LITTLE_ENDIAN);
            ByteVector second = ByteVector.fromMemorySegment(B, w, block + Short.BYTES + 8, ByteOrder.LITTLE_ENDIAN);
            acc0 = sixteen(low(first), low(second), x, xi).fma(d, acc0);
            acc1 = sixteen(high(first), high(second), x, xi + BLOCK_SIZE / 2).fma(d, acc1);
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
            for (int eight = 0; eight < BLOCK_SIZE / 2; eight += 8) {
                ByteVector packed = ByteVector.fromMemorySegment(B, src, block + Short.BYTES + eight, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = low(packed);
                ByteVector hi = high(packed);
                for (int part = 0; part < PARTS; part++) {
                    widen(lo, part).mul(d).intoArray(dst, out + eight + part * F.length());
                    widen(hi, part).mul(d).intoArray(dst, out + BLOCK_SIZE / 2 + eight + part * F.length());
                }
            }
        }
    }

    /** The low nibbles as signed quants {@code q - 8}. */
    private static ByteVector low(ByteVector packed) {
        return packed.and((byte) 0x0F).sub((byte) 8);
    }

    /** The high nibbles as signed quants {@code q - 8}. */
    private static ByteVector high(ByteVector packed) {
        // x86 has no byte shift; shifting 16-bit lanes drags the neighbour's bits in, the mask drops them.
        return packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                .and((byte) 0x0F).sub((byte) 8);
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
