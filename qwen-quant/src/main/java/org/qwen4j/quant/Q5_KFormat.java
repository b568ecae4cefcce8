package org.qwen4j.quant;

import static org.qwen4j.quant.PackedQuants.F;
import static org.qwen4j.quant.PackedQuants.PARTS;

import java.lang.foreign.MemorySegment;
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
 * llama.cpp's {@code Q5_K} ({@code GGML_TYPE_Q5_K}, type 13): {@link Q4_KFormat Q4_K} with a fifth
 * bit per quant. A super-block of 256 values is a little-endian fp16 scale {@code d}, an fp16
 * {@code dmin}, 12 bytes of 6-bit sub-block scales and minimums (see {@link SixBitScales}), 32
 * bytes {@code qh} of high bits and 128 bytes of low nibbles. Each 64 values {@code 64g … 64g+63}
 * share 32 nibble bytes (value {@code l} in the low nibble of byte {@code l}, value {@code l + 32}
 * in the high one) and take their fifth bits from bits {@code 2g} and {@code 2g + 1} of
 * {@code qh[l]}. A quant {@code q} (0 … 31) of sub-block {@code j} stands for
 * {@code (d·sc[j])·q − dmin·m[j]}. 176 bytes per 256 values, 5.5 bits per weight: the main type
 * of {@code Q5_K_M} files.
 *
 * <p>The quantizer is {@code quantize_row_q5_K_ref}, bit for bit ({@code make_qkx2_quants} with
 * 31 levels and 16 candidate scales).
 */
public final class Q5_KFormat implements TensorFormat {

    /** The {@code ggml_type} number of Q5_K. */
    public static final int GGML_TYPE = 13;
    /** Values per super-block. */
    public static final int BLOCK_SIZE = 256;
    /** Bytes per super-block: two fp16 scales, 12 bytes of packed scales, 32 of high bits, 128 of nibbles. */
    public static final int BLOCK_BYTES = 2 * Short.BYTES + SixBitScales.BYTES + BLOCK_SIZE / 8 + BLOCK_SIZE / 2;

    private static final int DMIN = Short.BYTES;
    private static final int SCALES = 2 * Short.BYTES;
    private static final int QH = SCALES + SixBitScales.BYTES;
    private static final int QS = QH + BLOCK_SIZE / 8;
    private static final ScaleSearch.Asymmetric SEARCH = new ScaleSearch.Asymmetric(31, -0.5f, 0.1f, 15, false);
    // Decode runs the split sum of Q4_K's kernels with the fifth bits (see KSplitSum): orderedGroups
    // on 256-bit machines, dotWide on 512-bit ones; dot on narrower ones.
    private static final boolean ORDERED = F.length() == 8;
    private static final boolean WIDE = ORDERED && KernelWidth.wide();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q5_KFormat() {
    }

    @Override
    public String name() {
        return "Q5_K";
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
            float d = Blocks.fp16(src, block);
            float dmin = Blocks.fp16(src, block + DMIN);
            long low = SixBitScales.low(src, block + SCALES);
            int high = SixBitScales.high(src, block + SCALES);
            long scales = SixBitScales.kScales(low, high);
            long mins = SixBitScales.kMins(low, high);
            for (int j = 0; j < 8; j++) {
                // As in Q4_K, d·sc, dmin·m and scale·q are exact: the subtraction is the one rounding.
                float scale = d * SixBitScales.byteAt(scales, j);
                float min = dmin * SixBitScales.byteAt(mins, j);
                // Sub-block j: nibbles of bytes 32·(j/2) …, low or high by j's parity; fifth bit j of qh[l].
                long quants = block + QS + 32 * (j / 2);
                int shift = 4 * (j % 2);
                int out = dstOffset + b * BLOCK_SIZE + 32 * j;
                for (int l = 0; l < 32; l++) {
                    int q = (Blocks.u8(src, quants + l) >>> shift & 0x0F)
                            | (Blocks.u8(src, block + QH + l) >>> j & 1) << 4;
                    dst[out + l] = scale * q - min;
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
            float d = Blocks.fp16(src, block);
            float dmin = Blocks.fp16(src, block + DMIN);
            long low = SixBitScales.low(src, block + SCALES);
            int high = SixBitScales.high(src, block + SCALES);
            long scales = SixBitScales.kScales(low, high);
            long mins = SixBitScales.kMins(low, high);
            for (int j = 0; j < 8; j++) {
                float scale = d * SixBitScales.byteAt(scales, j);
                float min = dmin * SixBitScales.byteAt(mins, j);
                long quants = block + QS + 32 * (j / 2);
                int shift = 4 * (j % 2);
                int out = dstOffset + b * BLOCK_SIZE + 32 * j;
                for (int k = 0; k < 32; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        IntVector fifth = PackedQuants.ints(src, block + QH + k, part)
                                .lanewise(VectorOperators.LSHR, j).and(1).lanewise(VectorOperators.LSHL, 4);
                        IntVector q = PackedQuants.ints(src, quants + k, part).lanewise(VectorOperators.LSHR, shift)
                                .and(0x0F).or(fifth);
                        // Multiply, then subtract, as the scalar reference does (no fma), for identical bits.
                        PackedQuants.floats(q).mul(scale).sub(min).intoArray(dst, out + k + part * F.length());
                    }
                }
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        int[] levels = new int[BLOCK_SIZE];
        int[] scratch = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        int[] storedScales = new int[8];
        int[] storedMins = new int[8];
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            int from = srcOffset + b * BLOCK_SIZE;
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                int sub = from + 32 * j;
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) {
                    sumX2 += src[sub + l] * src[sub + l];
                }
                float rms = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) {
                    weights[l] = rms + Math.abs(src[sub + l]);
                }
                scales[j] = SEARCH.fit(src, sub, 32, weights, levels, 32 * j, scratch, mins, j);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float inverseScale = maxScale > 0 ? 63f / maxScale : 0f;
            float inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                // C stores nearest_int into a uint8_t before MIN(63, ·): keep the wrap-around.
                storedScales[j] = Math.min(63, ScaleSearch.nearestInt(inverseScale * scales[j]) & 0xFF);
                storedMins[j] = Math.min(63, ScaleSearch.nearestInt(inverseMin * mins[j]) & 0xFF);
            }
            SixBitScales.putK(dst, block + SCALES, storedScales, storedMins);
            Blocks.putFp16(dst, block, maxScale / 63f);
            Blocks.putFp16(dst, block + DMIN, maxMin / 63f);
            // Re-quantize against the scales as stored, so that rounding them costs nothing extra.
            float d = Blocks.fp16(dst, block);
            float dmin = Blocks.fp16(dst, block + DMIN);
            for (int j = 0; j < 8; j++) {
                float scale = d * storedScales[j];
                if (scale == 0f) {
                    continue;
                }
                float min = dmin * storedMins[j];
                for (int l = 0; l < 32; l++) {
                    int q = ScaleSearch.nearestInt((src[from + 32 * j + l] + min) / scale);
                    levels[32 * j + l] = Math.max(0, Math.min(31, q));
                }
            }
            for (int l = 0; l < 32; l++) {
                int high = 0;
                for (int g = 0; g < 4; g++) {
                    int first = levels[64 * g + l];
                    int second = levels[64 * g + 32 + l];
                    high |= (first >>> 4) << (2 * g) | (second >>> 4) << (2 * g + 1);
                    Blocks.putU8(dst, block + QS + 32 * g + l, (first & 0x0F) | (second & 0x0F) << 4);
                }
                Blocks.putU8(dst, block + QH + l, high);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Weights formed exactly as dequantize forms them (see Q4_KFormat.dot), two accumulators,
        // a compact loop so that C2 inlines every vector operation.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            int header = w.get(Blocks.INT_LE, block);
            float d = Float.float16ToFloat((short) header);
            float dmin = Float.float16ToFloat((short) (header >>> 16));
            long low = SixBitScales.low(w, block + SCALES);
            int high = SixBitScales.high(w, block + SCALES);
            long scales = SixBitScales.kScales(low, high);
            long mins = SixBitScales.kMins(low, high);
            for (int g = 0; g < 4; g++) {
                FloatVector scale0 = FloatVector.broadcast(F, d * SixBitScales.byteAt(scales, 2 * g));
                FloatVector min0 = FloatVector.broadcast(F, -(dmin * SixBitScales.byteAt(mins, 2 * g)));
                FloatVector scale1 = FloatVector.broadcast(F, d * SixBitScales.byteAt(scales, 2 * g + 1));
                FloatVector min1 = FloatVector.broadcast(F, -(dmin * SixBitScales.byteAt(mins, 2 * g + 1)));
                long quants = block + QS + 32 * g;
                int xg = xi + 64 * g;
                for (int k = 0; k < 32; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        IntVector packed = PackedQuants.ints(w, quants + k, part);
                        // The fifth bits 2g and 2g + 1, moved to bit 4 through bits 2g + 4 and 2g + 5.
                        IntVector fifth = PackedQuants.ints(w, block + QH + k, part).lanewise(VectorOperators.LSHL, 4);
                        IntVector q0 = packed.and(0x0F).or(fifth.lanewise(VectorOperators.LSHR, 2 * g).and(0x10));
                        IntVector q1 = packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                                .or(fifth.lanewise(VectorOperators.LSHR, 2 * g + 1).and(0x10));
                        int xo = xg + k + part * F.length();
                        acc0 = PackedQuants.floats(q0).fma(scale0, min0).fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = PackedQuants.floats(q1).fma(scale1, min1)
                                .fma(FloatVector.fromArray(F, x, xo + 32), acc1);
                    }
                }
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public boolean ordersActivations() {
        return ORDERED;
    }

    @Override
    public int orderedLength(int n) {
        return ORDERED ? KSplitSum.orderedLength(n, WIDE) : n;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ORDERED) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        KSplitSum.orderActivations(WIDE, x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The decode kernel on 256-bit machines, over activations laid out by
     * {@link KSplitSum#orderedActivations}: the scales and the minimums' share from
     * {@link KSplitSum#scalar}, then {@link #orderedGroups}. Against {@link #dot}, which it replaces
     * there (1.5B Q5_K_M tg32, two threads, 256-bit kernels on the AVX-512 machine, four alternated
     * pairs): 4.5–5.9 → 6.1–7.7 tokens/s, every pair faster.
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ORDERED) return dot(w, byteOffset, x, xOffset, n);
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        int blocks = n / BLOCK_SIZE;
        Objects.checkFromIndexSize(xOffset, blocks * KSplitSum.ORDERED_BLOCK, x.length);
        float[] scales = KSplitSum.scales(8 * blocks);
        float minimums = KSplitSum.scalar(w, byteOffset, BLOCK_BYTES, x, xOffset + n, blocks, scales);
        orderedGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, F.length()) - minimums;
    }

    /**
     * {@code Σ_j d·sc_j·Σ q·x} over the row's groups of 64 values, in one flat loop, left as eight
     * lanes at {@code scales[0, 8)} for the caller to sum. Per half group, the 16 nibble bytes and
     * the 16 qh bytes of the same positions as byte pairs ({@link PackedQuants#bytePairs}); each
     * quant's fifth bit is shifted next to its nibble where the nibble lies (bits 4, 8, 20 and 24,
     * the last shifted down with its nibble).
     */
    private static void orderedGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long block = byteOffset + (long) (g >> 2) * BLOCK_BYTES;
            long quants = block + QS + 32 * (g & 3);
            int xg = xOffset + 64 * g;
            int place = 2 * (g & 3);
            FloatVector lo = FloatVector.zero(F);
            FloatVector hi = FloatVector.zero(F);
            FloatVector lo1 = FloatVector.zero(F);
            FloatVector hi1 = FloatVector.zero(F);
            // The halves as a loop: written out, they took the method past C2's inlining budget.
            for (int h = 0; h < 32; h += 16) {
                IntVector pairs = PackedQuants.bytePairs(w, quants + h);
                IntVector high = PackedQuants.bytePairs(w, block + QH + h);
                // qh bit 2g of each byte to bits 4 and 20, bit 2g + 1 to bits 8 and 24.
                IntVector even = high.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.LSHR, place);
                IntVector odd = high.lanewise(VectorOperators.LSHL, 7).lanewise(VectorOperators.LSHR, place);
                int xh = xg + 2 * h;
                lo = PackedQuants.floats(pairs.and(0xF).or(even.and(0x10))).fma(FloatVector.fromArray(F, x, xh), lo);
                hi = PackedQuants.floats(pairs.and(0xF0).or(odd.and(0x100))).fma(FloatVector.fromArray(F, x, xh + 8), hi);
                lo1 = PackedQuants.floats(pairs.and(0xF_0000).or(even.and(0x10_0000)))
                        .fma(FloatVector.fromArray(F, x, xh + 16), lo1);
                hi1 = PackedQuants.floats(pairs.or(odd.and(0x100_0000)).lanewise(VectorOperators.LSHR, 20))
                        .fma(FloatVector.fromArray(F, x, xh + 24), hi1);
            }
            acc0 = lo.add(lo1).fma(FloatVector.broadcast(F, scales[2 * g]), acc0);
            acc1 = hi.add(hi1).fma(FloatVector.broadcast(F, scales[2 * g + 1]), acc1);
        }
        acc0.add(acc1).intoArray(scales, 0);
    }

    /**
     * The decode kernel on 512-bit machines, over activations laid out by
     * {@link KSplitSum#wideActivations}: the scales and the minimums' share from
     * {@link KSplitSum#vector}, then one flat loop over the row's groups of 64 values. Per group,
     * 32 nibble bytes and the 32 qh bytes, each widened to ints sixteen at a time; a quant is a
     * nibble (masked or shifted down) or-ed with its fifth bit, which a shift by the group's place
     * brings to bit 4. Against {@link #dot}, which it replaces there (1.5B Q5_K_M tg32, two threads,
     * three alternated pairs): 5.1–5.3 → 9.9–10.4 tokens/s (llama.cpp: 20.4). Package-private so
     * that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        int blocks = n / BLOCK_SIZE;
        Objects.checkFromIndexSize(xOffset, blocks * KSplitSum.WIDE_BLOCK, x.length);
        float[] scales = KSplitSum.scales(8 * blocks);
        float minimums = KSplitSum.vector(w, byteOffset, BLOCK_BYTES, x, xOffset + blocks * BLOCK_SIZE, blocks, scales);
        wideGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, W.length()) - minimums;
    }

    /**
     * {@code Σ_j d·sc_j·Σ q·x} over the row's groups of 64 values, left as sixteen lanes at
     * {@code scales[0, 16)}: summed by the caller, as a closing vector sum could take this method
     * past C2's inlining budget and box the vector on every row.
     */
    private static void wideGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(W);
        FloatVector acc1 = FloatVector.zero(W);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long block = byteOffset + (long) (g >> 2) * BLOCK_BYTES;
            long quants = block + QS + 32 * (g & 3);
            int xg = xOffset + 64 * g;
            // Byte l of the group: value l (low nibble, sub-block 2g, fifth bit 2g of qh[l]) and
            // l + 32 (high nibble, sub-block 2g + 1, fifth bit 2g + 1), g counted in the super-block.
            int place = 2 * (g & 3);
            FloatVector x0 = FloatVector.fromArray(W, x, xg);
            FloatVector x1 = FloatVector.fromArray(W, x, xg + 16);
            FloatVector x2 = FloatVector.fromArray(W, x, xg + 32);
            FloatVector x3 = FloatVector.fromArray(W, x, xg + 48);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, w, quants, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, w, quants + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            // qh bits 2g and 2g + 1 moved to bits 4 and 5.
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(B16, w, block + QH, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0))
                    .lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.LSHR, place);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(B16, w, block + QH + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0))
                    .lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.LSHR, place);
            FloatVector lo = ((FloatVector) q1.and(0x0F).or(h1.and(0x10)).convertShape(VectorOperators.I2F, W, 0)).fma(x1,
                    ((FloatVector) q0.and(0x0F).or(h0.and(0x10)).convertShape(VectorOperators.I2F, W, 0)).mul(x0));
            FloatVector hi = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, 1).and(0x10))
                    .convertShape(VectorOperators.I2F, W, 0)).fma(x3,
                    ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, 1).and(0x10))
                            .convertShape(VectorOperators.I2F, W, 0)).mul(x2));
            acc0 = lo.fma(FloatVector.broadcast(W, scales[2 * g]), acc0);
            acc1 = hi.fma(FloatVector.broadcast(W, scales[2 * g + 1]), acc1);
        }
        acc0.add(acc1).intoArray(scales, 0);
    }

    @Override
    public String toString() {
        return name();
    }
}
