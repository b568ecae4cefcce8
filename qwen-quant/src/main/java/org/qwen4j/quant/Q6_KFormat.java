package org.qwen4j.quant;

import static org.qwen4j.quant.PackedQuants.F;
import static org.qwen4j.quant.PackedQuants.PARTS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.core.simd.KernelWidth;
import org.qwen4j.spi.TensorFormat;

/**
 * llama.cpp's {@code Q6_K} ({@code GGML_TYPE_Q6_K}, type 14): super-blocks of 256 values in sixteen
 * sub-blocks of 16. A super-block is 128 bytes {@code ql} of low nibbles, 64 bytes {@code qh} of
 * 2-bit high parts, sixteen signed 8-bit sub-block scales {@code sc} and a little-endian fp16
 * scale {@code d}, in that order. Each half of 128 values has 64 {@code ql} bytes and 32
 * {@code qh} bytes: for {@code l < 32}, values {@code l}, {@code l + 32}, {@code l + 64} and
 * {@code l + 96} take the low nibble of {@code ql[l]}, the low nibble of {@code ql[l + 32]}, the
 * high nibble of {@code ql[l]} and the high nibble of {@code ql[l + 32]}, and bits 0–1, 2–3, 4–5
 * and 6–7 of {@code qh[l]} as their top two bits. A 6-bit quant {@code q} of sub-block {@code j}
 * stands for {@code (d·sc[j])·(q − 32)}. 210 bytes per 256 values, 6.5625 bits per weight; the
 * {@code Q4_K_M} and {@code Q5_K_M} mixtures use it for the embeddings and some FFN down and
 * attention V matrices.
 *
 * <p>The quantizer is {@code quantize_row_q6_K_ref}, bit for bit: each sub-block's scale comes
 * from {@code make_qx_quants} (levels −32 … 31, 19 candidate scales, weights {@code x²}), the
 * scales are quantized to 8 bits against the one of largest magnitude (which maps to −128), and the
 * values are re-quantized against the rounded scales.
 */
public final class Q6_KFormat implements TensorFormat {

    /** The {@code ggml_type} number of Q6_K. */
    public static final int GGML_TYPE = 14;
    /** Values per super-block. */
    public static final int BLOCK_SIZE = 256;
    /** Bytes per super-block: 128 of low nibbles, 64 of high bits, 16 scales and the fp16 scale. */
    public static final int BLOCK_BYTES = BLOCK_SIZE / 2 + BLOCK_SIZE / 4 + BLOCK_SIZE / 16 + Short.BYTES;

    private static final int QH = BLOCK_SIZE / 2;
    private static final int SCALES = QH + BLOCK_SIZE / 4;
    private static final int D = SCALES + BLOCK_SIZE / 16;

    // The ordered kernel (256-bit machines) reads 16 ql bytes and the 16 qh bytes of the same
    // positions as eight ints each, lane i holding bytes 2i and 2i + 1 (PackedQuants.bytePairs), and
    // masks each 6-bit quant where its nibble lies (the odd byte's shifted down first), its two high
    // bits shifted next to it: at bit 0 or 4, so the high nibble's quants come out 16 times too
    // large (exactly); their activations carry 1/16 instead. For quarter pair m (0: quarters 0 and 2 from
    // ql[l], 1: quarters 1 and 3 from ql[l + 32]) of 16 positions l = c … c + 15 of half h, vectors
    // k = 0 … 3 hold: quarter m at even l, at odd l, quarter m + 2 at even l, at odd l. Vector v of a
    // super-block is h = v / 16, c = 16·(v / 8 % 2), m = v / 4 % 2, k = v % 4.
    // On 512-bit machines decode runs dotWide instead, on activations in natural order: sixteen ql
    // bytes and the sixteen qh bytes of the same positions zero-extended to sixteen ints each, so that
    // every 6-bit quant is a mask or shift of each and an or, sixteen consecutive values at a time.
    private static final boolean WIDE = F.length() == 8 && KernelWidth.wide();
    private static final boolean ORDERED = F.length() == 8 && !WIDE;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    // dotWide converts a super-block's sixteen scales in one vector, put in the order its passes
    // use them (sub-blocks j and j + 4 of pass k in lanes 2k and 2k + 1).
    private static final VectorShuffle<Float> PASS_ORDER = VectorShuffle.fromValues(W,
            0, 4, 2, 6, 1, 5, 3, 7, 8, 12, 10, 14, 9, 13, 11, 15);
    private static final BlockOrder ORDER = BlockOrder.of(32, 8, Q6_KFormat::orderedValue)
            .scaledByPowersOfTwo(exponentsOfQuants());

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q6_KFormat() {
    }

    @Override
    public String name() {
        return "Q6_K";
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
            for (int sub = 0; sub < 16; sub++) {
                // (d·sc)·q, as ggml groups it; both products happen to be exact.
                float scale = d * src.get(ValueLayout.JAVA_BYTE, block + SCALES + sub);
                long low = block + lowOffset(sub);
                long high = block + highOffset(sub);
                int lowShift = lowShift(sub);
                int highShift = highShift(sub);
                int out = dstOffset + b * BLOCK_SIZE + 16 * sub;
                for (int l = 0; l < 16; l++) {
                    int q = (Blocks.u8(src, low + l) >>> lowShift & 0x0F)
                            | (Blocks.u8(src, high + l) >>> highShift & 3) << 4;
                    dst[out + l] = scale * (q - 32);
                }
            }
        }
    }

    // Sub-block s (16 values) lies in half h = s / 8, quarter t = s % 8 / 2, lanes 16·(s % 2) …:
    // its low nibbles are in ql[64h + 32·(t % 2) + …], low or high by t / 2, and its top two bits
    // are bits 2t, 2t + 1 of qh[32h + …].

    private static int lowOffset(int sub) {
        return 64 * (sub / 8) + 32 * (sub % 8 / 2 % 2) + 16 * (sub % 2);
    }

    private static int lowShift(int sub) {
        return 4 * (sub % 8 / 4);
    }

    private static int highOffset(int sub) {
        return QH + 32 * (sub / 8) + 16 * (sub % 2);
    }

    private static int highShift(int sub) {
        return 2 * (sub % 8 / 2);
    }

    /** The signed quants {@code q − 32} of values {@code k …} of sub-block {@code sub}, eight lanes at a time. */
    private static IntVector quants(MemorySegment w, long block, int sub, int k, int part) {
        IntVector low = PackedQuants.ints(w, block + lowOffset(sub) + k, part)
                .lanewise(VectorOperators.LSHR, lowShift(sub)).and(0x0F);
        // Bits 2t, 2t + 1 to bits 4, 5: up by 4, down by 2t (in 32-bit lanes nothing is lost).
        IntVector high = PackedQuants.ints(w, block + highOffset(sub) + k, part).lanewise(VectorOperators.LSHL, 4)
                .lanewise(VectorOperators.LSHR, highShift(sub)).and(0x30);
        return low.or(high).sub(32);
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Blocks.fp16(src, block + D);
            for (int sub = 0; sub < 16; sub++) {
                float scale = d * src.get(ValueLayout.JAVA_BYTE, block + SCALES + sub);
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

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        int[] levels = new int[BLOCK_SIZE];
        float[] scales = new float[16];
        for (int b = 0; b < n / BLOCK_SIZE; b++) {
            int from = srcOffset + b * BLOCK_SIZE;
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = ScaleSearch.symmetric(src, from + 16 * j, 16, 32, levels, 16 * j);
                if (Math.abs(scales[j]) > maxAbsScale) {
                    maxAbsScale = Math.abs(scales[j]);
                    maxScale = scales[j];
                }
            }
            if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
                dst.asSlice(block, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            Blocks.putFp16(dst, block + D, 1 / iscale);
            for (int j = 0; j < 16; j++) {
                // MIN(127, ·) only: the largest scale maps to −128, every other one above it.
                dst.set(ValueLayout.JAVA_BYTE, block + SCALES + j,
                        (byte) Math.min(127, ScaleSearch.nearestInt(iscale * scales[j])));
            }
            // Re-quantize against the scales as stored, so that rounding them costs nothing extra.
            float d = Blocks.fp16(dst, block + D);
            for (int j = 0; j < 16; j++) {
                float scale = d * dst.get(ValueLayout.JAVA_BYTE, block + SCALES + j);
                if (scale == 0f) {
                    continue;
                }
                for (int l = 0; l < 16; l++) {
                    int q = ScaleSearch.nearestInt(src[from + 16 * j + l] / scale);
                    levels[16 * j + l] = Math.max(-32, Math.min(31, q)) + 32;
                }
            }
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int q1 = levels[128 * half + l];
                    int q2 = levels[128 * half + 32 + l];
                    int q3 = levels[128 * half + 64 + l];
                    int q4 = levels[128 * half + 96 + l];
                    Blocks.putU8(dst, block + 64 * half + l, (q1 & 0x0F) | (q3 & 0x0F) << 4);
                    Blocks.putU8(dst, block + 64 * half + 32 + l, (q2 & 0x0F) | (q4 & 0x0F) << 4);
                    Blocks.putU8(dst, block + QH + 32 * half + l,
                            q1 >>> 4 | (q2 >>> 4) << 2 | (q3 >>> 4) << 4 | (q4 >>> 4) << 6);
                }
            }
        }
    }

    private static int orderedValue(int v, int lane) {
        int h = v / 16;
        int c = 16 * (v / 8 % 2);
        int m = v / 4 % 2;
        int k = v % 4;
        int quarter = m + 2 * (k / 2);
        return 128 * h + 32 * quarter + c + 2 * lane + k % 2;
    }

    private static int[] exponentsOfQuants() {
        int[] exponents = new int[32];
        for (int v = 0; v < exponents.length; v++) exponents[v] = v % 4 < 2 ? 0 : -4;
        return exponents;
    }

    @Override
    public boolean ordersActivations() {
        return ORDERED;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        if (!ORDERED) return TensorFormat.super.orderActivations(x, xOffset, dst, dstOffset, n);
        ORDER.apply(x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The decode kernel on 256-bit machines: per 32 weights two widening loads (ql, qh) and a shift
     * of qh, two shifts bringing the odd bytes down, and per eight weights two masks, an or, the
     * subtraction of 32 (at the quant's place), a conversion and a multiply-add; each sub-block of
     * 16 is summed unscaled and scaled with one multiply-add. Against {@link #dot} (JMH
     * {@code MatmulBenchmark}, 8960×1536, batch 1, one thread, six alternated runs): 1.92 → 2.51
     * GB/s.
     */
    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        if (!ORDERED) return dot(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            float d = Blocks.fp16(w, block + D);
            long scales0 = w.get(Blocks.LONG_LE, block + SCALES);
            long scales1 = w.get(Blocks.LONG_LE, block + SCALES + 8);
            // g = 0 … 7: half h = g / 4, positions c = 16·(g / 2 % 2), quarter pair m = g % 2.
            for (int g = 0; g < 8; g++) {
                int h = g / 4;
                int c = 16 * (g / 2 % 2);
                int m = g % 2;
                IntVector low = PackedQuants.bytePairs(w, block + 64 * h + 32 * m + c);
                // qh bits 2m, 2m + 1 (quarter m) to bits 4, 5; bits 2m + 4, 2m + 5 (quarter m + 2) to 8, 9.
                IntVector high = PackedQuants.bytePairs(w, block + QH + 32 * h + c).lanewise(VectorOperators.LSHL, 4 - 2 * m);
                int xg = xi + 32 * g;
                FloatVector near = FloatVector.zero(F);
                FloatVector far = FloatVector.zero(F);
                // Even then odd byte of each lane, the odd one shifted down: a loop rather than
                // both written out, which grows the method past what C2 inlines whole.
                for (int odd = 0; odd < 2; odd++) {
                    IntVector lowOfByte = low.lanewise(VectorOperators.LSHR, 16 * odd);
                    IntVector highOfByte = high.lanewise(VectorOperators.LSHR, 16 * odd);
                    near = centred(lowOfByte.and(0xF).or(highOfByte.and(0x30)), 32)
                            .fma(FloatVector.fromArray(F, x, xg + 8 * odd), near);
                    far = centred(lowOfByte.and(0xF0).or(highOfByte.and(0x300)), 32 << 4)
                            .fma(FloatVector.fromArray(F, x, xg + 16 + 8 * odd), far);
                }
                // Sub-blocks 8h + c/16 + 2m (quarter m) and that + 4 (quarter m + 2).
                long scales = h == 0 ? scales0 : scales1;
                int j = c / 16 + 2 * m;
                acc0 = near.fma(FloatVector.broadcast(F, d * (byte) (scales >>> 8 * j)), acc0);
                acc1 = far.fma(FloatVector.broadcast(F, d * (byte) (scales >>> 8 * (j + 4))), acc1);
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    /**
     * The decode kernel on 512-bit machines, activations in natural order. For sixteen positions
     * {@code l} of a half, the ql bytes at {@code l} and {@code l + 32} and the qh bytes at {@code l},
     * each widened to sixteen ints, give the four quarters' quants (low nibble or high nibble, and two
     * bits of qh moved to bits 4–5); each sixteen is one sub-block, scaled as its quants are
     * converted. The sixteen scales are converted in one vector per super-block and each pass
     * broadcasts its two with a lane select, where they were shifted out of two longs, converted and
     * multiplied one by one: JMH {@code MatmulBenchmark} Q6_K batch 1, one thread, two forks each,
     * 6.8–8.8 → 11.0–14.3 GB/s; 1.5B Q4_K_M tg128 10.9–11.2 → 12.5–13.0 tokens/s. Rotating the
     * scale vector from pass to pass instead left the vector a loop-carried value that C2 sometimes
     * did not keep in a register: cold tg32 fell to 3–6 tokens/s, with the shuffle running its
     * allocating fallback. Package-private so that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector acc0 = FloatVector.zero(W);
        FloatVector acc1 = FloatVector.zero(W);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            IntVector scales = ((FloatVector) ByteVector.fromMemorySegment(B16, w, block + SCALES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0))
                    .mul(Blocks.fp16(w, block + D))
                    .rearrange(PASS_ORDER).reinterpretAsInts();
            // g = 0 … 3: half h = g / 2, positions c = 16·(g % 2) … c + 15 of it.
            for (int g = 0; g < 4; g++) {
                int h = g / 2;
                int c = 16 * (g % 2);
                IntVector high = (IntVector) ByteVector.fromMemorySegment(B16, w, block + QH + 32 * h + c, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
                // Pair p: ql bytes at l + 32p hold quarter p (low nibbles, qh bits 2p, 2p + 1) and
                // quarter p + 2 (high nibbles, qh bits 2p + 4, 2p + 5). A loop rather than both written
                // out, so that C2 inlines every vector operation.
                for (int p = 0; p < 2; p++) {
                    IntVector low = (IntVector) ByteVector.fromMemorySegment(B16, w, block + 64 * h + 32 * p + c, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
                    IntVector near = low.and(0x0F).or(high.lanewise(VectorOperators.LSHL, 4 - 2 * p).and(0x30));
                    IntVector far = low.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.LSHR, 2 * p).and(0x30));
                    int xo = xi + 128 * h + 32 * p + c;
                    // Sub-block 8h + c/16 + 2p (quarter p) is lane 4g + 2p of the ordered scales; that
                    // + 4 (quarter p + 2) is the next lane.
                    int lane = 4 * g + 2 * p;
                    acc0 = ((FloatVector) near.sub(32).convertShape(VectorOperators.I2F, W, 0))
                            .mul(IntVector.broadcast(I16, lane).selectFrom(scales).reinterpretAsFloats())
                            .fma(FloatVector.fromArray(W, x, xo), acc0);
                    acc1 = ((FloatVector) far.sub(32).convertShape(VectorOperators.I2F, W, 0))
                            .mul(IntVector.broadcast(I16, lane + 1).selectFrom(scales).reinterpretAsFloats())
                            .fma(FloatVector.fromArray(W, x, xo + 64), acc1);
                }
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    /** Lanes holding a 6-bit quant q at bit s as the floats {@code (q − 32)·2^s}, given {@code offset = 32·2^s}. */
    private static FloatVector centred(IntVector quants, int offset) {
        return PackedQuants.floats(quants.sub(offset));
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Quarters t and t + 2 of a half share their ql bytes (low and high nibbles), so each
        // iteration takes the same 16 lanes of both: two sub-blocks of 16, each summed unscaled
        // (q·x) and then scaled into its own accumulator, a multiply per 16 values. Sharing more
        // (all four quarters per iteration) makes the loop too large for C2 to inline every vector
        // operation, and boxed vectors cost far more than the loads saved.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            float d = Blocks.fp16(w, block + D);
            long scales0 = w.get(Blocks.LONG_LE, block + SCALES);
            long scales1 = w.get(Blocks.LONG_LE, block + SCALES + 8);
            // Pairs p = 0 … 7: half h = p / 4, quarters t = p % 2 and t + 2, lanes 16·(p / 2 % 2) ….
            for (int p = 0; p < 8; p++) {
                int half = p / 4;
                int t = p % 2;
                int i = p / 2 % 2;
                long ql = block + 64 * half + 32 * t + 16 * i;
                long qh = block + QH + 32 * half + 16 * i;
                int xq = xi + 128 * half + 32 * t + 16 * i;
                FloatVector sumLow = FloatVector.zero(F);
                FloatVector sumHigh = FloatVector.zero(F);
                for (int k = 0; k < 16; k += 8) {
                    for (int part = 0; part < PARTS; part++) {
                        IntVector nibbles = PackedQuants.ints(w, ql + k, part);
                        // Bits 2t, 2t + 1 (quarter t) and 2t + 4, 2t + 5 (quarter t + 2) up to bits 4, 5.
                        IntVector high = PackedQuants.ints(w, qh + k, part).lanewise(VectorOperators.LSHL, 4)
                                .lanewise(VectorOperators.LSHR, 2 * t);
                        IntVector low = nibbles.and(0x0F).or(high.and(0x30)).sub(32);
                        IntVector upper = nibbles.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                                .or(high.lanewise(VectorOperators.LSHR, 4).and(0x30)).sub(32);
                        int xo = xq + k + part * F.length();
                        sumLow = PackedQuants.floats(low).fma(FloatVector.fromArray(F, x, xo), sumLow);
                        sumHigh = PackedQuants.floats(upper).fma(FloatVector.fromArray(F, x, xo + 64), sumHigh);
                    }
                }
                long scales = half == 0 ? scales0 : scales1;
                acc0 = sumLow.fma(FloatVector.broadcast(F, d * (byte) (scales >>> 8 * (2 * t + i))), acc0);
                acc1 = sumHigh.fma(FloatVector.broadcast(F, d * (byte) (scales >>> 8 * (2 * t + 4 + i))), acc1);
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public String toString() {
        return name();
    }
}
