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
 * llama.cpp's {@code Q4_K} ({@code GGML_TYPE_Q4_K}, type 12): super-blocks of 256 values in eight
 * sub-blocks of 32. A super-block is a little-endian fp16 scale {@code d}, an fp16 {@code dmin},
 * 12 bytes of 6-bit sub-block scales {@code sc} and minimums {@code m} (see {@link SixBitScales}),
 * and 128 bytes of 4-bit quants. Each 64 values share 32 bytes: byte {@code l} holds value
 * {@code l} in its low nibble and value {@code l + 32} in its high nibble. A quant {@code q} of
 * sub-block {@code j} stands for {@code (d·sc[j])·q − dmin·m[j]}. 144 bytes per 256 values, 4.5
 * bits per weight: the main type of {@code Q4_K_M} files.
 *
 * <p>The quantizer is {@code quantize_row_q4_K_ref} (what llama.cpp uses without an importance
 * matrix), bit for bit: each sub-block's scale and minimum come from {@code make_qkx2_quants}
 * with weights {@code rms + |x|}, are quantized to 6 bits against the largest of each, and the
 * values are then re-quantized against the rounded scales.
 */
public final class Q4_KFormat implements TensorFormat {

    /** The {@code ggml_type} number of Q4_K. */
    public static final int GGML_TYPE = 12;
    /** Values per super-block. */
    public static final int BLOCK_SIZE = 256;
    /** Bytes per super-block: two fp16 scales, 12 bytes of packed scales, 128 bytes of nibbles. */
    public static final int BLOCK_BYTES = 2 * Short.BYTES + SixBitScales.BYTES + BLOCK_SIZE / 2;

    private static final int DMIN = Short.BYTES;
    private static final int SCALES = 2 * Short.BYTES;
    private static final int QS = SCALES + SixBitScales.BYTES;
    private static final ScaleSearch.Asymmetric SEARCH = new ScaleSearch.Asymmetric(15, -1f, 0.1f, 20, false);

    // The ordered kernel runs on 256-bit vectors, on activations in KSplitSum's ordered layout.
    private static final boolean ORDERED = F.length() == 8;
    // On 512-bit machines decode runs dotWide instead: activations in natural order (still followed
    // by the sub-block sums), sixteen packed bytes zero-extended to sixteen ints per step, whose low
    // nibbles are sixteen values of one sub-block and whose high nibbles are the same sixteen of the
    // next: a mask or a shift and a conversion per sixteen values.
    private static final boolean WIDE = ORDERED && KernelWidth.wide();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q4_KFormat() {
    }

    @Override
    public String name() {
        return "Q4_K";
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
                // ggml rounds d·sc and dmin·m to float first; both products are exact anyway
                // (11-bit × 6-bit significands), and so is scale·q, so one rounding, at the
                // subtraction, decides each value.
                float scale = d * SixBitScales.byteAt(scales, j);
                float min = dmin * SixBitScales.byteAt(mins, j);
                long quants = block + QS + 32 * (j / 2);
                int shift = 4 * (j % 2);
                int out = dstOffset + b * BLOCK_SIZE + 32 * j;
                for (int l = 0; l < 32; l++) {
                    dst[out + l] = scale * (Blocks.u8(src, quants + l) >>> shift & 0x0F) - min;
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
                        IntVector q = PackedQuants.ints(src, quants + k, part).lanewise(VectorOperators.LSHR, shift)
                                .and(0x0F);
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
                    levels[32 * j + l] = Math.max(0, Math.min(15, q));
                }
            }
            for (int g = 0; g < 4; g++) {
                for (int l = 0; l < 32; l++) {
                    Blocks.putU8(dst, block + QS + 32 * g + l, levels[64 * g + l] | levels[64 * g + 32 + l] << 4);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Each weight is formed exactly as dequantize forms it (q·scale is exact, so
        // fma(q, scale, −min) rounds once, like the reference's subtraction) and then multiplied
        // into one of two accumulators, one per nibble: an error bounded by Σ|w·x|. The decode
        // kernel (dotOrdered) splits the sum instead, as llama.cpp does. The loop is kept compact
        // (header read in three loads, one widening load per eight bytes) so that C2 inlines every
        // vector operation and allocates nothing.
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
                        int xo = xg + k + part * F.length();
                        acc0 = PackedQuants.floats(packed.and(0x0F)).fma(scale0, min0)
                                .fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = PackedQuants.floats(packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)).fma(scale1, min1)
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
     * The decode kernel on 256-bit machines: {@code Σ (d·sc·q − dmin·m)·x} taken apart as
     * {@code Σ_j d·sc_j·Σ q·x − dmin·Σ_j m_j·Σ x}, as llama.cpp does, with the sub-block sums of
     * {@code x} computed once per product by {@link #orderActivations}. Per 32 weights: one
     * widening load, three masks and a shift, four conversions and four multiply-adds; the scales
     * cost one multiply-add per sub-block. Its rounding error is bounded by the parts' magnitudes,
     * {@code Σ|d·sc·q·x| + Σ|dmin·m·x|} (a few times {@code Σ|w·x|} for typical blocks), where
     * {@link #dot}, which forms every weight before multiplying it, is bounded by {@code Σ|w·x|}.
     * Two passes over the row, as {@link #dotWide} makes them: the scales and minimums unpacked in
     * scalars first ({@link KSplitSum#scalar}), then one flat loop over its groups
     * ({@link #orderedGroups}). Against one pass with the unpacking and a loop over four groups
     * inside the loop over super-blocks (1.5B Q4_K_M tg32, two threads, 256-bit kernels on the
     * AVX-512 machine, five alternated pairs): 6.7–8.0 → 7.6–9.1 tokens/s, every pair faster.
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
     * {@code Σ_j d·sc_j·Σ q·x} over the row's groups of 64 values, in one flat loop (offsets linear
     * in its counter, so C2 checks the activations and scales once), left as eight lanes at
     * {@code scales[0, 8)}: summed by the caller, since a closing vector sum took this method past
     * C2's inlining budget and boxed the vector on every row.
     */
    private static void orderedGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long quants = byteOffset + (long) (g >> 2) * BLOCK_BYTES + QS + 32 * (g & 3);
            int xg = xOffset + 64 * g;
            IntVector first = PackedQuants.bytePairs(w, quants);
            IntVector second = PackedQuants.bytePairs(w, quants + 16);
            FloatVector lo = PackedQuants.floats(first.and(0xF)).mul(FloatVector.fromArray(F, x, xg));
            FloatVector hi = PackedQuants.floats(first.and(0xF0)).mul(FloatVector.fromArray(F, x, xg + 8));
            FloatVector lo1 = PackedQuants.floats(first.and(0xF_0000)).mul(FloatVector.fromArray(F, x, xg + 16));
            FloatVector hi1 = PackedQuants.floats(first.lanewise(VectorOperators.LSHR, 20)).mul(FloatVector.fromArray(F, x, xg + 24));
            lo = PackedQuants.floats(second.and(0xF)).fma(FloatVector.fromArray(F, x, xg + 32), lo);
            hi = PackedQuants.floats(second.and(0xF0)).fma(FloatVector.fromArray(F, x, xg + 40), hi);
            lo1 = PackedQuants.floats(second.and(0xF_0000)).fma(FloatVector.fromArray(F, x, xg + 48), lo1);
            hi1 = PackedQuants.floats(second.lanewise(VectorOperators.LSHR, 20)).fma(FloatVector.fromArray(F, x, xg + 56), hi1);
            acc0 = lo.add(lo1).fma(FloatVector.broadcast(F, scales[2 * g]), acc0);
            acc1 = hi.add(hi1).fma(FloatVector.broadcast(F, scales[2 * g + 1]), acc1);
        }
        acc0.add(acc1).intoArray(scales, 0);
    }

    /**
     * The decode kernel on 512-bit machines: the same split sum as the 256-bit {@link #dotOrdered}
     * over activations laid out by {@link KSplitSum#wideActivations}, in two passes over the row. The first
     * ({@link KSplitSum#vector}) unpacks each super-block's scales and minimums with vector operations,
     * keeps the scales {@code d·sc} in a per-thread array and sums the minimums' share; the second
     * ({@link #wideGroups}) is one flat loop over the row's groups of 64 values, each with its two
     * scales broadcast from that array. Against the one-pass kernel before it, which unpacked the
     * scales in scalars and ran a loop of four groups inside its loop over super-blocks (C2 split
     * that inner loop in three, with bounds checks and spills around it, every super-block): 19.9
     * → 13.3 ns per super-block on one thread in cache. Package-private so that tests run it on any
     * machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        int blocks = n / BLOCK_SIZE;
        Objects.checkFromIndexSize(xOffset, blocks * KSplitSum.WIDE_BLOCK, x.length);
        float[] scales = KSplitSum.scales(8 * blocks);
        float minimums = KSplitSum.vector(w, byteOffset, BLOCK_BYTES, x, xOffset + blocks * BLOCK_SIZE, blocks, scales);
        return wideGroups(w, byteOffset, x, xOffset, blocks, scales) - minimums;
    }

    /** {@code Σ_j d·sc_j·Σ q·x} over the row's groups of 64 values, the scales from {@link KSplitSum#vector}. */
    private static float wideGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(W);
        FloatVector acc1 = FloatVector.zero(W);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long quants = byteOffset + (long) (g >> 2) * BLOCK_BYTES + QS + 32 * (g & 3);
            int xg = xOffset + 64 * g;
            // Bytes l of the group: value l (low nibble, sub-block 2g) and l + 32 (high, 2g + 1).
            FloatVector x0 = FloatVector.fromArray(W, x, xg);
            FloatVector x1 = FloatVector.fromArray(W, x, xg + 16);
            FloatVector x2 = FloatVector.fromArray(W, x, xg + 32);
            FloatVector x3 = FloatVector.fromArray(W, x, xg + 48);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, w, quants, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, w, quants + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            FloatVector lo = ((FloatVector) q1.and(0x0F).convertShape(VectorOperators.I2F, W, 0)).fma(x1,
                    ((FloatVector) q0.and(0x0F).convertShape(VectorOperators.I2F, W, 0)).mul(x0));
            FloatVector hi = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, W, 0)).fma(x3,
                    ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, W, 0)).mul(x2));
            acc0 = lo.fma(FloatVector.broadcast(W, scales[2 * g]), acc0);
            acc1 = hi.fma(FloatVector.broadcast(W, scales[2 * g + 1]), acc1);
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public String toString() {
        return name();
    }
}
