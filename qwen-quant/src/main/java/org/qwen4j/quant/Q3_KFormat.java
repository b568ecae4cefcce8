package org.qwen4j.quant;

import static org.qwen4j.quant.PackedQuants.F;
import static org.qwen4j.quant.PackedQuants.PARTS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
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
 * llama.cpp's {@code Q3_K} ({@code GGML_TYPE_Q3_K}, type 11): super-blocks of 256 values in sixteen
 * sub-blocks of 16. A super-block is 32 bytes {@code hmask} of high bits, 64 bytes of 2-bit low
 * parts, 12 bytes of sixteen 6-bit sub-block scales (see {@link SixBitScales}) and a
 * little-endian fp16 {@code d}, in that order. Each half of 128 values has 32 low-part bytes: for
 * {@code l < 32}, bits {@code 2s … 2s+1} of byte {@code l} are the low part of value
 * {@code 32s + l}; value {@code v} of the super-block has its high bit in bit {@code v / 32} of
 * {@code hmask[v % 32]}. The 3-bit quant is {@code low − 4} when the high bit is clear and
 * {@code low} when it is set (−4 … 3); with stored scale {@code s} of its sub-block it stands for
 * {@code (d·(s − 32))·q}. 110 bytes per 256 values, 3.4375 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q3_K_ref}, bit for bit: each sub-block's scale comes
 * from {@code make_q3_quants} (weights {@code x²}, up to five rounds of single-level moves), the
 * scales are quantized to 6 bits against the one of largest magnitude (which maps to −32), and the
 * values are re-quantized against the rounded scales.
 */
public final class Q3_KFormat implements TensorFormat {

    /** The {@code ggml_type} number of Q3_K. */
    public static final int GGML_TYPE = 11;
    /** Values per super-block. */
    public static final int BLOCK_SIZE = 256;
    /** Bytes per super-block: 32 of high bits, 64 of low parts, 12 of scales and the fp16 scale. */
    public static final int BLOCK_BYTES = BLOCK_SIZE / 8 + BLOCK_SIZE / 4 + SixBitScales.BYTES + Short.BYTES;

    private static final int QS = BLOCK_SIZE / 8;
    private static final int SCALES = QS + BLOCK_SIZE / 4;
    private static final int D = SCALES + SixBitScales.BYTES;

    // Decode takes four sub-blocks per load of sixteen low-part bytes, in BitPairOrder, each
    // sub-block's Σ q·x times its scale from a first pass: orderedGroups on 256-bit machines,
    // dotWide on 512-bit ones; dot on narrower ones.
    private static final boolean ORDERED = F.length() == 8;
    private static final boolean WIDE = ORDERED && KernelWidth.wide();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    // The 512-bit scale pass widens the sixteen bytes that end the super-block (the last two of
    // the low parts, the twelve scale bytes, d), so scale byte k is lane 2 + k; lane L takes the
    // low four bits of its sub-block j's scale from byte j % 8 (shifted by 4·(j / 8)) and the top two
    // from byte 8 + j % 4 (shifted by 2·(j / 4)).
    private static final int TAIL = BLOCK_BYTES - 16;
    private static final IntVector LOW_BYTE = BitPairOrder.lanes(j -> 2 + j % 8);
    private static final IntVector LOW_SHIFT = BitPairOrder.lanes(j -> 4 * (j / 8));
    private static final IntVector TOP_BYTE = BitPairOrder.lanes(j -> 2 + 8 + j % 4);
    private static final IntVector TOP_SHIFT = BitPairOrder.lanes(j -> 2 * (j / 4));
    // The 256-bit scale pass, per half of the kernel order: low bits from scale bytes 0 … 7 (the
    // second half's four places higher), top bits from the eight bytes at scale byte 6 (so scale
    // byte 8 + m is lane 2 + m; the second half's four places higher).
    private static final IntVector HALF_LOW_BYTE = ORDERED ? BitPairOrder.halfLanes(j -> j) : null;
    private static final IntVector HALF_TOP_BYTE = ORDERED ? BitPairOrder.halfLanes(j -> 2 + j % 4) : null;
    private static final IntVector HALF_TOP_SHIFT = ORDERED ? BitPairOrder.halfLanes(j -> 2 * (j / 4)) : null;
    /** The sixteen weights {@code u − 4} of the 3-bit codes {@code u} = low part + 4·high bit, twice, as float bits. */
    private static final IntVector LEVELS = FloatVector.fromArray(W,
            new float[] {-4, -3, -2, -1, 0, 1, 2, 3, -4, -3, -2, -1, 0, 1, 2, 3}, 0).reinterpretAsInts();

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q3_KFormat() {
    }

    @Override
    public String name() {
        return "Q3_K";
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
            float d = Blocks.fp16(src, block + D);
            long scalesLow = SixBitScales.low(src, block + SCALES);
            int scalesHigh = SixBitScales.high(src, block + SCALES);
            for (int sub = 0; sub < 16; sub++) {
                // Sub-block 8h + 2s + t: half h, bit pair s, bytes 16t … 16t + 15 of the half.
                float scale = d * (SixBitScales.q3Scale(scalesLow, scalesHigh, sub) - 32);
                int first = 16 * (sub % 2);
                long low = block + QS + 32 * (sub / 8) + first;
                int shift = 2 * (sub % 8 / 2);
                int highBit = sub / 2;
                int out = dstOffset + b * BLOCK_SIZE + 16 * sub;
                for (int l = 0; l < 16; l++) {
                    int high = Blocks.u8(src, block + first + l) >>> highBit & 1;
                    dst[out + l] = scale * ((Blocks.u8(src, low + l) >>> shift & 3) - (high != 0 ? 0 : 4));
                }
            }
        }
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.fp16(src, block + D);
            long low = SixBitScales.low(src, block + SCALES);
            int high = SixBitScales.high(src, block + SCALES);
            for (int sub = 0; sub < 16; sub++) {
                float scale = d * (SixBitScales.q3Scale(low, high, sub) - 32);
                int out = dstOffset + b * BLOCK_SIZE + 16 * sub;
                for (int k = 0; k < 16; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        PackedQuants.floats(quants(src, block, sub, k, part)).mul(scale)
                                .intoArray(dst, out + k + part * F.length());
                    }
                }
            }
        }
    }

    /** The signed 3-bit quants of values {@code k …} of sub-block {@code sub}, eight lanes at a time. */
    private static IntVector quants(MemorySegment w, long block, int sub, int k, int part) {
        // Sub-block 8h + 2s + t: low pairs at bits 2s of bytes 16t … of the half's 32; high bits
        // at bit 4h + s (= sub / 2) of hmask bytes 16t …; the quant is low − 4 unless that bit is set.
        int first = 16 * (sub % 2) + k;
        IntVector low = PackedQuants.ints(w, block + QS + 32 * (sub / 8) + first, part)
                .lanewise(VectorOperators.LSHR, 2 * (sub % 8 / 2)).and(3);
        IntVector high = PackedQuants.ints(w, block + first, part).lanewise(VectorOperators.LSHR, sub / 2).and(1);
        return low.or(high.lanewise(VectorOperators.LSHL, 2)).sub(4);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        int[] levels = new int[BLOCK_SIZE];
        float[] scales = new float[16];
        int[] stored = new int[16];
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            int from = srcOffset + b * BLOCK_SIZE;
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = ScaleSearch.symmetricRefined(src, from + 16 * j, 16, 4, levels, 16 * j);
                if (Math.abs(scales[j]) > amax) {
                    amax = Math.abs(scales[j]);
                    maxScale = scales[j];
                }
            }
            if (maxScale != 0f) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    // C keeps nearest_int in an int8_t before clamping: keep the wrap-around.
                    int l = (byte) ScaleSearch.nearestInt(iscale * scales[j]);
                    stored[j] = Math.max(-32, Math.min(31, l)) + 32;
                }
                Blocks.putFp16(dst, block + D, 1 / iscale);
            } else {
                Arrays.fill(stored, 0);
                Blocks.putFp16(dst, block + D, 0f);
            }
            SixBitScales.putQ3(dst, block + SCALES, stored);
            // Re-quantize against the scales as stored, so that rounding them costs nothing extra.
            float d = Blocks.fp16(dst, block + D);
            for (int j = 0; j < 16; j++) {
                float scale = d * (stored[j] - 32);
                if (scale == 0f) {
                    continue;
                }
                for (int l = 0; l < 16; l++) {
                    int q = ScaleSearch.nearestInt(src[from + 16 * j + l] / scale);
                    levels[16 * j + l] = Math.max(-4, Math.min(3, q)) + 4;
                }
            }
            for (int l = 0; l < 32; l++) {
                int high = 0;
                for (int bit = 0; bit < 8; bit++) {
                    high |= (levels[32 * bit + l] >>> 2) << bit;
                }
                Blocks.putU8(dst, block + l, high);
            }
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int v = 128 * half + l;
                    Blocks.putU8(dst, block + QS + 32 * half + l, (levels[v] & 3) | (levels[v + 32] & 3) << 2
                            | (levels[v + 64] & 3) << 4 | (levels[v + 96] & 3) << 6);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Bit pairs s and s + 1 of the same bytes (and high bits 4h + s and 4h + s + 1 of the same
        // hmask bytes) are two sub-blocks, so each iteration takes both from one pair of loads. Each
        // sub-block of 16 is summed unscaled (q·x), then scaled into its own accumulator: one
        // multiply per 16 values. The loop stays compact so that C2 inlines every vector operation.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            float d = Blocks.fp16(w, block + D);
            long low = SixBitScales.low(w, block + SCALES);
            int high = SixBitScales.high(w, block + SCALES);
            // Pairs p = 0 … 7: half h = p / 4, bytes 16t … with t = p % 2, bit pairs s = 2·(p / 2 % 2) and s + 1,
            // which are sub-blocks 8h + 2s + t and that plus 2.
            for (int p = 0; p < 8; p++) {
                int half = p / 4;
                int t = p % 2;
                int s = 2 * (p / 2 % 2);
                int sub = 8 * half + 2 * s + t;
                long quants = block + QS + 32 * half + 16 * t;
                int xs = xi + 16 * sub;
                FloatVector sum0 = FloatVector.zero(F);
                FloatVector sum1 = FloatVector.zero(F);
                for (int k = 0; k < 16; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        IntVector bits = PackedQuants.ints(w, quants + k, part).lanewise(VectorOperators.LSHR, 2 * s);
                        // High bit 4h + s to bit 2: up by 2, down by 4h + s.
                        IntVector highBits = PackedQuants.ints(w, block + 16 * t + k, part)
                                .lanewise(VectorOperators.LSHL, 2).lanewise(VectorOperators.LSHR, 4 * half + s);
                        IntVector q0 = bits.and(3).or(highBits.and(4)).sub(4);
                        IntVector q1 = bits.lanewise(VectorOperators.LSHR, 2).and(3)
                                .or(highBits.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                        int xo = xs + k + part * F.length();
                        sum0 = PackedQuants.floats(q0).fma(FloatVector.fromArray(F, x, xo), sum0);
                        sum1 = PackedQuants.floats(q1).fma(FloatVector.fromArray(F, x, xo + 32), sum1);
                    }
                }
                acc0 = sum0.fma(FloatVector.broadcast(F, d * (SixBitScales.q3Scale(low, high, sub) - 32)), acc0);
                acc1 = sum1.fma(FloatVector.broadcast(F, d * (SixBitScales.q3Scale(low, high, sub + 2) - 32)), acc1);
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public boolean ordersActivations() {
        return ORDERED;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ORDERED) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        BitPairOrder.apply(WIDE, x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The decode kernel on 256- and 512-bit machines, over activations in {@link BitPairOrder}: a
     * first pass writes each sub-block's {@code d·(s − 32)} to a per-thread array, in kernel order;
     * then one flat loop over the row's loads of sixteen low-part bytes (four sub-blocks) takes
     * {@code Σ q·x} per sub-block times its scale.
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ORDERED) return dot(w, byteOffset, x, xOffset, n);
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        int blocks = n / BLOCK_SIZE;
        float[] scales = KSplitSum.scales(16 * blocks);
        orderedScales(w, byteOffset, blocks, scales);
        orderedGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, F.length());
    }

    /** Writes {@code d·(s − 32)} of sub-block {@code L} of super-block {@code b} to {@code scales[16b + L]}, eight lanes at a time. */
    private static void orderedScales(MemorySegment w, long byteOffset, int blocks, float[] scales) {
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.fp16(w, block + D);
            // Sign-extended bytes: every field is masked.
            IntVector low = HALF_LOW_BYTE.selectFrom(PackedQuants.ints(w, block + SCALES, 0));
            IntVector top = HALF_TOP_BYTE.selectFrom(PackedQuants.ints(w, block + SCALES + 6, 0))
                    .lanewise(VectorOperators.LSHR, HALF_TOP_SHIFT);
            for (int half = 0; half < 2; half++) {
                IntVector stored = low.lanewise(VectorOperators.LSHR, 4 * half).and(0x0F)
                        .or(top.lanewise(VectorOperators.LSHR, 4 * half).and(3).lanewise(VectorOperators.LSHL, 4));
                PackedQuants.floats(stored.sub(32)).mul(d).intoArray(scales, 16 * b + 8 * half);
            }
        }
    }

    /**
     * {@code Σ_L scale_L·Σ q·x} over the row, left as eight lanes at {@code scales[0, 8)} for the
     * caller to sum. Per load, sixteen low-part bytes and the sixteen hmask bytes of the same
     * positions as byte pairs ({@link PackedQuants#bytePairs}); each code is its low part shifted to
     * bits 0 and 16 (see BitPairOrder) or-ed with its high bit just above it, less 4 there,
     * converted exactly.
     */
    private static void orderedGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long block = byteOffset + (long) (g >> 2) * BLOCK_BYTES;
            IntVector low = PackedQuants.bytePairs(w, block + QS + 16 * (g & 3));
            // The high bit of bit pair s is bit 4h + s of the hmask byte: to bit 2 + s.
            IntVector high = PackedQuants.bytePairs(w, block + 16 * (g & 1))
                    .lanewise(VectorOperators.LSHL, 2).lanewise(VectorOperators.LSHR, 4 * (g >> 1 & 1));
            // Per bit pair, its low parts shifted to bits 0 and 16 and its high bits to 2 and 18
            // (see BitPairOrder); a loop, as four written out took the method past C2's inlining
            // budget. Two chains, swapped after each sub-block.
            int xs = xOffset + 64 * g;
            for (int s = 0; s < 4; s++, xs += 16) {
                FloatVector next = pairs(low.and(0x3_0003).or(high.and(0x4_0004)), x, xs)
                        .fma(FloatVector.broadcast(F, scales[4 * g + s]), acc0);
                acc0 = acc1;
                acc1 = next;
                low = low.lanewise(VectorOperators.LSHR, 2);
                high = high.lanewise(VectorOperators.LSHR, 1);
            }
        }
        acc0.add(acc1).intoArray(scales, 0);
    }

    /**
     * {@code Σ (u − 4)·x} over one sub-block whose codes {@code u} lie at bits 0 and 16 of
     * {@code codes}, each less 4 where it lies before the exact conversion.
     */
    private static FloatVector pairs(IntVector codes, float[] x, int xs) {
        FloatVector even = PackedQuants.floats(codes.and(7).sub(4));
        FloatVector odd = PackedQuants.floats(codes.and(7 << 16).sub(4 << 16));
        return odd.fma(FloatVector.fromArray(F, x, xs + 8), even.mul(FloatVector.fromArray(F, x, xs)));
    }

    /**
     * The decode kernel on 512-bit machines: {@link #dotOrdered}'s passes with sixteen lanes. The
     * scales of a super-block come from one widening load and two lane selects; per load of sixteen
     * low-part bytes, widened to sixteen ints, each code (low part or-ed with its high bit) selects
     * its weight {@code u − 4} from a table of sixteen, one lane select instead of a subtraction and
     * a conversion. Package-private so that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        int blocks = n / BLOCK_SIZE;
        float[] scales = KSplitSum.scales(16 * blocks);
        wideScales(w, byteOffset, blocks, scales);
        wideGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, W.length());
    }

    /** {@link #orderedScales} with sixteen lanes. */
    private static void wideScales(MemorySegment w, long byteOffset, int blocks, float[] scales) {
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, block + TAIL, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector stored = LOW_BYTE.selectFrom(bytes).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(0x0F)
                    .or(TOP_BYTE.selectFrom(bytes).lanewise(VectorOperators.LSHR, TOP_SHIFT).and(3).lanewise(VectorOperators.LSHL, 4));
            ((FloatVector) stored.sub(32).convertShape(VectorOperators.I2F, W, 0)).mul(Blocks.fp16(w, block + D))
                    .intoArray(scales, 16 * b);
        }
    }

    /** {@link #orderedGroups} with sixteen lanes: one whole sub-block per vector. */
    private static void wideGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(W);
        FloatVector acc1 = FloatVector.zero(W);
        FloatVector acc2 = FloatVector.zero(W);
        FloatVector acc3 = FloatVector.zero(W);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long block = byteOffset + (long) (g >> 2) * BLOCK_BYTES;
            int xg = xOffset + 64 * g;
            IntVector low = (IntVector) ByteVector.fromMemorySegment(B16, w, block + QS + 16 * (g & 3), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            // The high bit of bit pair s is bit 4h + s of the hmask byte: to bit 2 + s.
            IntVector high = ((IntVector) ByteVector.fromMemorySegment(B16, w, block + 16 * (g & 1), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0))
                    .lanewise(VectorOperators.LSHL, 2).lanewise(VectorOperators.LSHR, 4 * (g >> 1 & 1));
            acc0 = low.and(3).or(high.and(4)).selectFrom(LEVELS).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(W, x, xg)).fma(FloatVector.broadcast(W, scales[4 * g]), acc0);
            acc1 = low.lanewise(VectorOperators.LSHR, 2).and(3).or(high.lanewise(VectorOperators.LSHR, 1).and(4))
                    .selectFrom(LEVELS).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(W, x, xg + 16)).fma(FloatVector.broadcast(W, scales[4 * g + 1]), acc1);
            acc2 = low.lanewise(VectorOperators.LSHR, 4).and(3).or(high.lanewise(VectorOperators.LSHR, 2).and(4))
                    .selectFrom(LEVELS).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(W, x, xg + 32)).fma(FloatVector.broadcast(W, scales[4 * g + 2]), acc2);
            acc3 = low.lanewise(VectorOperators.LSHR, 6).or(high.lanewise(VectorOperators.LSHR, 3).and(4))
                    .selectFrom(LEVELS).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(W, x, xg + 48)).fma(FloatVector.broadcast(W, scales[4 * g + 3]), acc3);
        }
        acc0.add(acc1).add(acc2.add(acc3)).intoArray(scales, 0);
    }

    @Override
    public String toString() {
        return name();
    }
}
