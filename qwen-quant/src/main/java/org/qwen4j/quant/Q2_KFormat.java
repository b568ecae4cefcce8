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
 * llama.cpp's {@code Q2_K} ({@code GGML_TYPE_Q2_K}, type 10): super-blocks of 256 values in sixteen
 * sub-blocks of 16. A super-block is 16 bytes of sub-block scales (low nibble {@code sc}, high
 * nibble {@code m}), 64 bytes of 2-bit quants, and little-endian fp16 {@code d} and {@code dmin},
 * in that order. Each half of 128 values has 32 quant bytes: for {@code l < 32}, bits
 * {@code 2s … 2s+1} of byte {@code l} are value {@code 32s + l}. A quant {@code q} (0 … 3) of
 * sub-block {@code j} stands for {@code (d·sc[j])·q − dmin·m[j]}. 84 bytes per 256 values, 2.625
 * bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q2_K_ref}, bit for bit: each sub-block's scale and
 * minimum come from {@code make_qkx2_quants} (weights {@code |x|}, least absolute error), are
 * quantized to 4 bits against the largest of each, and the values are re-quantized against the
 * rounded scales.
 */
public final class Q2_KFormat implements TensorFormat {

    /** The {@code ggml_type} number of Q2_K. */
    public static final int GGML_TYPE = 10;
    /** Values per super-block. */
    public static final int BLOCK_SIZE = 256;
    /** Bytes per super-block: 16 scale bytes, 64 bytes of quants and two fp16 scales. */
    public static final int BLOCK_BYTES = BLOCK_SIZE / 16 + BLOCK_SIZE / 4 + 2 * Short.BYTES;

    private static final int QS = BLOCK_SIZE / 16;
    private static final int D = QS + BLOCK_SIZE / 4;
    private static final int DMIN = D + Short.BYTES;
    private static final ScaleSearch.Asymmetric SEARCH = new ScaleSearch.Asymmetric(3, -0.5f, 0.1f, 15, true);
    // Decode splits the sum as Q4_K's kernels do (Σ_j d·sc_j·Σ q·x − Σ_j dmin·m_j·Σ x) over the
    // activations in BitPairOrder: orderedGroups on 256-bit machines, dotWide on 512-bit ones; dot
    // on narrower ones.
    private static final boolean ORDERED = F.length() == 8;
    private static final boolean WIDE = ORDERED && KernelWidth.wide();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    /** Lane L takes the scale byte of the sub-block taken L-th (see BitPairOrder). */
    private static final IntVector SCALE_BYTE = BitPairOrder.lanes(sub -> sub);
    /** The same for eight lanes: each half of the kernel order takes its half's eight scale bytes. */
    private static final IntVector HALF_SCALE_BYTE = ORDERED ? BitPairOrder.halfLanes(sub -> sub) : null;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q2_KFormat() {
    }

    @Override
    public String name() {
        return "Q2_K";
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
            float dmin = Blocks.fp16(src, block + DMIN);
            for (int sub = 0; sub < 16; sub++) {
                // Sub-block 8h + 2s + t: half h, bit pair s, bytes 16t … 16t + 15 of the half.
                int packedScale = Blocks.u8(src, block + sub);
                // d·sc, dmin·m and their product with q are exact: the subtraction is the one rounding.
                float scale = d * (packedScale & 0x0F);
                float min = dmin * (packedScale >>> 4);
                long quants = block + QS + 32 * (sub / 8) + 16 * (sub % 2);
                int shift = 2 * (sub % 8 / 2);
                int out = dstOffset + b * BLOCK_SIZE + 16 * sub;
                for (int l = 0; l < 16; l++) {
                    dst[out + l] = scale * (Blocks.u8(src, quants + l) >>> shift & 3) - min;
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
            float dmin = Blocks.fp16(src, block + DMIN);
            for (int sub = 0; sub < 16; sub++) {
                int packedScale = Blocks.u8(src, block + sub);
                float scale = d * (packedScale & 0x0F);
                float min = dmin * (packedScale >>> 4);
                int out = dstOffset + b * BLOCK_SIZE + 16 * sub;
                for (int k = 0; k < 16; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        // Multiply, then subtract, as the scalar reference does (no fma), for identical bits.
                        PackedQuants.floats(quants(src, block, sub, k, part)).mul(scale).sub(min)
                                .intoArray(dst, out + k + part * F.length());
                    }
                }
            }
        }
    }

    /** The quants of values {@code k …} of sub-block {@code sub}, eight lanes at a time. */
    private static IntVector quants(MemorySegment w, long block, int sub, int k, int part) {
        // Sub-block 8h + 2s + t: half h, bit pair s, bytes 16t … 16t + 15 of the half.
        long quants = block + QS + 32 * (sub / 8) + 16 * (sub % 2);
        return PackedQuants.ints(w, quants + k, part).lanewise(VectorOperators.LSHR, 2 * (sub % 8 / 2)).and(3);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        int[] levels = new int[BLOCK_SIZE];
        int[] scratch = new int[16];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        int[] packedScales = new int[16];
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            int from = srcOffset + b * BLOCK_SIZE;
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(src[from + 16 * j + l]);
                }
                scales[j] = SEARCH.fit(src, from + 16 * j, 16, weights, levels, 16 * j, scratch, mins, j);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            // Both halves of a scale byte are C uint8_t stores: keep their truncation to eight bits.
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) {
                    packedScales[j] = ScaleSearch.nearestInt(iscale * scales[j]) & 0xFF;
                }
                Blocks.putFp16(dst, block + D, maxScale / 15f);
            } else {
                Arrays.fill(packedScales, 0);
                Blocks.putFp16(dst, block + D, 0f);
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) {
                    packedScales[j] = (packedScales[j] | ScaleSearch.nearestInt(iscale * mins[j]) << 4) & 0xFF;
                }
                Blocks.putFp16(dst, block + DMIN, maxMin / 15f);
            } else {
                Blocks.putFp16(dst, block + DMIN, 0f);
            }
            // Re-quantize against the scales as stored, so that rounding them costs nothing extra.
            float d = Blocks.fp16(dst, block + D);
            float dmin = Blocks.fp16(dst, block + DMIN);
            for (int j = 0; j < 16; j++) {
                Blocks.putU8(dst, block + j, packedScales[j]);
                float scale = d * (packedScales[j] & 0x0F);
                if (scale == 0f) {
                    continue;
                }
                float min = dmin * (packedScales[j] >>> 4);
                for (int l = 0; l < 16; l++) {
                    int q = ScaleSearch.nearestInt((src[from + 16 * j + l] + min) / scale);
                    levels[16 * j + l] = Math.max(0, Math.min(3, q));
                }
            }
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int v = 128 * half + l;
                    Blocks.putU8(dst, block + QS + 32 * half + l,
                            levels[v] | levels[v + 32] << 2 | levels[v + 64] << 4 | levels[v + 96] << 6);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Weights formed exactly as dequantize forms them (q·scale is exact, so fma(q, scale, −min)
        // rounds once, like the reference's subtraction). Bit pairs s and s + 1 of the same bytes
        // are two sub-blocks, so each iteration takes both from one load, into two accumulators;
        // the loop stays compact so that C2 inlines every vector operation and allocates nothing.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            long scales0 = w.get(Blocks.LONG_LE, block);
            long scales1 = w.get(Blocks.LONG_LE, block + 8);
            int header = w.get(Blocks.INT_LE, block + D);
            float d = Float.float16ToFloat((short) header);
            float dmin = Float.float16ToFloat((short) (header >>> 16));
            // Pairs p = 0 … 7: half h = p / 4, bytes 16t … with t = p % 2, bit pairs s = 2·(p / 2 % 2) and s + 1,
            // which are sub-blocks 8h + 2s + t and that plus 2.
            for (int p = 0; p < 8; p++) {
                int half = p / 4;
                int t = p % 2;
                int s = 2 * (p / 2 % 2);
                int sub = 8 * half + 2 * s + t;
                long scales = half == 0 ? scales0 : scales1;
                int packed0 = (int) (scales >>> 8 * (sub % 8)) & 0xFF;
                int packed1 = (int) (scales >>> 8 * (sub % 8 + 2)) & 0xFF;
                FloatVector scale0 = FloatVector.broadcast(F, d * (packed0 & 0x0F));
                FloatVector min0 = FloatVector.broadcast(F, -(dmin * (packed0 >>> 4)));
                FloatVector scale1 = FloatVector.broadcast(F, d * (packed1 & 0x0F));
                FloatVector min1 = FloatVector.broadcast(F, -(dmin * (packed1 >>> 4)));
                long quants = block + QS + 32 * half + 16 * t;
                int xs = xi + 16 * sub;
                for (int k = 0; k < 16; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        IntVector bits = PackedQuants.ints(w, quants + k, part).lanewise(VectorOperators.LSHR, 2 * s);
                        int xo = xs + k + part * F.length();
                        acc0 = PackedQuants.floats(bits.and(3)).fma(scale0, min0)
                                .fma(FloatVector.fromArray(F, x, xo), acc0);
                        acc1 = PackedQuants.floats(bits.lanewise(VectorOperators.LSHR, 2).and(3)).fma(scale1, min1)
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
        return ORDERED ? n / BLOCK_SIZE * BitPairOrder.WITH_SUMS : n;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ORDERED) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        BitPairOrder.applyWithSums(WIDE, x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The decode kernel on 256- and 512-bit machines, over activations laid out by
     * {@link BitPairOrder#applyWithSums}: a first pass writes each sub-block's {@code d·sc} to a
     * per-thread array, in kernel order, and sums the minimums' share; then one flat loop over the
     * row's loads of sixteen quant bytes (four sub-blocks) takes {@code Σ q·x} per sub-block times
     * its scale.
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (!ORDERED) return dot(w, byteOffset, x, xOffset, n);
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        int blocks = n / BLOCK_SIZE;
        Objects.checkFromIndexSize(xOffset, blocks * BitPairOrder.WITH_SUMS, x.length);
        float[] scales = KSplitSum.scales(16 * blocks);
        float minimums = orderedScales(w, byteOffset, x, xOffset + n, blocks, scales);
        orderedGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, F.length()) - minimums;
    }

    /**
     * Writes {@code d·sc} of sub-block {@code L} of super-block {@code b} to {@code scales[16b + L]}
     * (kernel order) and returns {@code Σ_b dmin_b·Σ_L m_L·Σx_L}, the sums read from
     * {@code x[sums + 16b + L]}: per super-block two loads of eight scale bytes, each put in kernel
     * order by one lane select.
     */
    private static float orderedScales(MemorySegment w, long byteOffset, float[] x, int sums, int blocks, float[] scales) {
        FloatVector minimums = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            int header = w.get(Blocks.INT_LE, block + D);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) header));
            FloatVector dmin = FloatVector.broadcast(F, Float.float16ToFloat((short) (header >>> 16)));
            for (int half = 0; half < 16; half += 8) {
                // Sign-extended bytes: both fields are masked.
                IntVector packed = HALF_SCALE_BYTE.selectFrom(PackedQuants.ints(w, block + half, 0));
                PackedQuants.floats(packed.and(0x0F)).mul(d).intoArray(scales, 16 * b + half);
                minimums = PackedQuants.floats(packed.lanewise(VectorOperators.LSHR, 4).and(0x0F))
                        .mul(FloatVector.fromArray(F, x, sums + 16 * b + half)).fma(dmin, minimums);
            }
        }
        return FixedOrderSum.of(minimums);
    }

    /**
     * {@code Σ_L d·sc_L·Σ q·x} over the row, sixteen quant bytes per load as byte pairs
     * ({@link PackedQuants#bytePairs}), each bit pair shifted to bits 0 and 16 and masked there; left
     * as eight lanes at {@code scales[0, 8)} for the caller to sum.
     */
    private static void orderedGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            IntVector pairs = PackedQuants.bytePairs(w, byteOffset + (long) (g >> 2) * BLOCK_BYTES + QS + 16 * (g & 3));
            // Per bit pair, its quants shifted to bits 0 and 16 of lane i (see BitPairOrder); a loop,
            // as four written out took the method past C2's inlining budget. Two chains, swapped
            // after each sub-block.
            int xs = xOffset + 64 * g;
            for (int s = 0; s < 4; s++, xs += 16) {
                FloatVector next = pair(pairs, x, xs).fma(FloatVector.broadcast(F, scales[4 * g + s]), acc0);
                acc0 = acc1;
                acc1 = next;
                pairs = pairs.lanewise(VectorOperators.LSHR, 2);
            }
        }
        acc0.add(acc1).intoArray(scales, 0);
    }

    /** {@code Σ q·x} over one sub-block whose quants lie at bits 0 and 16 of {@code pairs}. */
    private static FloatVector pair(IntVector pairs, float[] x, int xs) {
        return PackedQuants.floats(pairs.and(0x3_0000)).fma(FloatVector.fromArray(F, x, xs + 8),
                PackedQuants.floats(pairs.and(3)).mul(FloatVector.fromArray(F, x, xs)));
    }

    /**
     * The decode kernel on 512-bit machines: {@link #dotOrdered}'s passes with sixteen lanes, the
     * scales of a super-block unpacked in one vector (its sixteen scale bytes widened, put in kernel
     * order by one lane select), each load of sixteen quant bytes widened to sixteen ints.
     * Package-private so that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        int blocks = n / BLOCK_SIZE;
        Objects.checkFromIndexSize(xOffset, blocks * BitPairOrder.WITH_SUMS, x.length);
        float[] scales = KSplitSum.scales(16 * blocks);
        float minimums = wideScales(w, byteOffset, x, xOffset + n, blocks, scales);
        wideGroups(w, byteOffset, x, xOffset, blocks, scales);
        return FixedOrderSum.ofStored(scales, 0, W.length()) - minimums;
    }

    /** {@link #orderedScales} with sixteen lanes: one load and one lane select per super-block. */
    private static float wideScales(MemorySegment w, long byteOffset, float[] x, int sums, int blocks, float[] scales) {
        FloatVector minimums = FloatVector.zero(W);
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            IntVector packed = SCALE_BYTE.selectFrom((IntVector) ByteVector.fromMemorySegment(B16, w, block, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0));
            int header = w.get(Blocks.INT_LE, block + D);
            ((FloatVector) packed.and(0x0F).convertShape(VectorOperators.I2F, W, 0))
                    .mul(Float.float16ToFloat((short) header)).intoArray(scales, 16 * b);
            minimums = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.I2F, W, 0))
                    .mul(FloatVector.fromArray(W, x, sums + 16 * b))
                    .fma(FloatVector.broadcast(W, Float.float16ToFloat((short) (header >>> 16))), minimums);
        }
        return FixedOrderSum.of(minimums);
    }

    /** {@link #orderedGroups} with sixteen lanes: one whole sub-block per vector. */
    private static void wideGroups(MemorySegment w, long byteOffset, float[] x, int xOffset, int blocks, float[] scales) {
        FloatVector acc0 = FloatVector.zero(W);
        FloatVector acc1 = FloatVector.zero(W);
        FloatVector acc2 = FloatVector.zero(W);
        FloatVector acc3 = FloatVector.zero(W);
        int groups = 4 * blocks;
        for (int g = 0; g < groups; g++) {
            long quants = byteOffset + (long) (g >> 2) * BLOCK_BYTES + QS + 16 * (g & 3);
            int xg = xOffset + 64 * g;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B16, w, quants, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            acc0 = ((FloatVector) q.and(3).convertShape(VectorOperators.I2F, W, 0)).mul(FloatVector.fromArray(W, x, xg))
                    .fma(FloatVector.broadcast(W, scales[4 * g]), acc0);
            acc1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 2).and(3).convertShape(VectorOperators.I2F, W, 0))
                    .mul(FloatVector.fromArray(W, x, xg + 16)).fma(FloatVector.broadcast(W, scales[4 * g + 1]), acc1);
            acc2 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(3).convertShape(VectorOperators.I2F, W, 0))
                    .mul(FloatVector.fromArray(W, x, xg + 32)).fma(FloatVector.broadcast(W, scales[4 * g + 2]), acc2);
            // Zero-extended bytes: the top pair needs no mask.
            acc3 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 6).convertShape(VectorOperators.I2F, W, 0))
                    .mul(FloatVector.fromArray(W, x, xg + 48)).fma(FloatVector.broadcast(W, scales[4 * g + 3]), acc3);
        }
        acc0.add(acc1).add(acc2.add(acc3)).intoArray(scales, 0);
    }

    @Override
    public String toString() {
        return name();
    }
}
