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
 * llama.cpp's {@code Q5_0} ({@code GGML_TYPE_Q5_0}, type 6): blocks of 32 values, each a
 * little-endian fp16 scale {@code d}, a little-endian 32-bit word {@code qh} of fifth bits and 16
 * bytes of low nibbles. Byte {@code j} holds the low four bits of value {@code j} in its low
 * nibble and of value {@code j + 16} in its high nibble; bit {@code i} of {@code qh} is the fifth
 * bit of value {@code i}. A 5-bit quant {@code q} stands for {@code d·(q − 16)}. 22 bytes per 32
 * values, 5.5 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q5_0_ref}, bit for bit: as Q4_0, the scale comes from
 * the value of largest magnitude with its sign, {@code d = max / −16}, and the quants are
 * {@code min(31, trunc(x·(1/d) + 16.5))}.
 */
public final class Q5_0Format implements TensorFormat {

    /** The {@code ggml_type} number of Q5_0. */
    public static final int GGML_TYPE = 6;
    /** Values per block. */
    public static final int BLOCK_SIZE = 32;
    /** Bytes per block: the fp16 scale, four bytes of fifth bits and 16 bytes of nibbles. */
    public static final int BLOCK_BYTES = Short.BYTES + Integer.BYTES + BLOCK_SIZE / 2;

    private static final int QH = Short.BYTES;
    private static final int QS = QH + Integer.BYTES;

    // On 512-bit machines decode runs dotWide, in natural order: a block's sixteen packed bytes
    // zero-extended to sixteen ints, each lane's fifth bits rotated or shifted out of the broadcast
    // qh word, and the 5-bit quant selecting its weight d·(q − 16) from the block's 32 (two
    // vectors: the levels −16 … −1 and 0 … 15 times the scale, exact).
    private static final boolean WIDE = KernelWidth.wide();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final FloatVector NEGATIVE_LEVELS = FloatVector.fromArray(W,
            new float[] {-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1}, 0);
    private static final FloatVector POSITIVE_LEVELS = FloatVector.fromArray(W,
            new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 0);
    // Lane j: rotating qh left by 4 − j (mod 32) brings bit j, value j's fifth bit, to bit 4;
    // shifting it right by j + 12 brings bit j + 16, value j + 16's, there.
    private static final IntVector LOW_FIFTH = IntVector.fromArray(I16,
            new int[] {4, 3, 2, 1, 0, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21}, 0);
    private static final IntVector HIGH_FIFTH = IntVector.fromArray(I16,
            new int[] {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}, 0);

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q5_0Format() {
    }

    @Override
    public String name() {
        return "Q5_0";
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
            int qh = src.get(Blocks.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int packed = Blocks.u8(src, block + QS + j);
                int q0 = ((packed & 0x0F) | (qh >>> j & 1) << 4) - 16;
                int q1 = ((packed >>> 4) | (qh >>> (j + 16) & 1) << 4) - 16;
                dst[out + j] = q0 * d;
                dst[out + j + BLOCK_SIZE / 2] = q1 * d;
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
            int qh = src.get(Blocks.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(src, block + QS + k, part);
                    int o = out + k + part * F.length();
                    PackedQuants.floats(lowQuants(packed, qh, k, part)).mul(d).intoArray(dst, o);
                    PackedQuants.floats(highQuants(packed, qh, k, part)).mul(d).intoArray(dst, o + BLOCK_SIZE / 2);
                }
            }
        }
    }

    /** Signed quants {@code q − 16} of values {@code k …}: low nibbles and bits {@code k …} of {@code qh}. */
    private static IntVector lowQuants(IntVector packed, int qh, int k, int part) {
        return packed.and(0x0F).or(PackedQuants.fifthBits(qh >>> k & 0xFF, part)).sub(16);
    }

    /** Signed quants {@code q − 16} of values {@code k + 16 …}: high nibbles, bits {@code k + 16 …} of {@code qh}. */
    private static IntVector highQuants(IntVector packed, int qh, int k, int part) {
        return packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                .or(PackedQuants.fifthBits(qh >>> (k + 16) & 0xFF, part)).sub(16);
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
            float d = max / -16;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putFp16(dst, block, d);
            int qh = 0;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int q0 = quant(src[from + j] * id);
                int q1 = quant(src[from + j + BLOCK_SIZE / 2] * id);
                Blocks.putU8(dst, block + QS + j, (q0 & 0x0F) | (q1 & 0x0F) << 4);
                qh |= (q0 >>> 4) << j | (q1 >>> 4) << (j + 16);
            }
            dst.set(Blocks.INT_LE, block + QH, qh);
        }
    }

    /**
     * {@code MIN(31, (int8_t)(scaled + 16.5f))}: the float sum, then truncation toward zero. The sum
     * is at least 0.5 for finite input, so the lower clamp only catches what C leaves undefined.
     */
    private static int quant(float scaled) {
        return Math.clamp((int) (scaled + 16.5f), 0, 31);
    }

    /**
     * The decode kernel on 512-bit machines, natural order: per block the sixteen packed bytes
     * zero-extended to ints; for the low values the nibble masked and the fifth bit rotated into
     * bit 4 out of the broadcast {@code qh}, for the high values the nibble shifted down and the
     * fifth bit shifted there; each 5-bit quant selects its weight from the block's 32 (one
     * two-table lane select), and the weights go onto two chains, low and high halves, with one
     * multiply-add each. Against the 256-bit kernel, 0.5B Q4_K_M file (mostly Q5_0), tg128, three
     * alternated pairs: 33.9–39.2 → 39.5–47.3 tokens/s. A two-row version (as Q4_0's) took C2 past
     * its inlining budget at the closing lane sum, which then boxed both vectors for every pair of
     * rows. Package-private so that tests run it on any machine.
     */
    static float dotWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        FloatVector a0 = FloatVector.zero(W);
        FloatVector a1 = FloatVector.zero(W);
        int blocks = n / BLOCK_SIZE;
        // Written out, not put in a helper (see TensorFormat.dotOrdered); counted with an int as Q4_0's kernels.
        for (int i = 0; i < blocks; i++) {
            long block = byteOffset + (long) i * BLOCK_BYTES;
            int xi = xOffset + i * BLOCK_SIZE;
            IntVector p = (IntVector) ByteVector.fromMemorySegment(B16, w, block + QS, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector h = IntVector.broadcast(I16, w.get(Blocks.INT_LE, block + QH));
            float d = Blocks.fp16(w, block);
            IntVector below = NEGATIVE_LEVELS.mul(d).reinterpretAsInts();
            IntVector above = POSITIVE_LEVELS.mul(d).reinterpretAsInts();
            IntVector low = p.and(0x0F).or(h.lanewise(VectorOperators.ROL, LOW_FIFTH).and(0x10));
            IntVector high = p.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, HIGH_FIFTH).and(0x10));
            a0 = low.selectFrom(below, above).reinterpretAsFloats().fma(FloatVector.fromArray(W, x, xi), a0);
            a1 = high.selectFrom(below, above).reinterpretAsFloats().fma(FloatVector.fromArray(W, x, xi + 16), a1);
        }
        return FixedOrderSum.of(a0.add(a1));
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (WIDE) return dotWide(w, byteOffset, x, xOffset, n);
        Blocks.checkLength(n, BLOCK_SIZE);
        // Two independent chains, one per half block; each half is summed unscaled first, so the
        // scale costs one fma per 16 values instead of a multiply per 8. The loop is kept compact
        // so that C2 inlines every vector operation and allocates nothing.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            int qh = w.get(Blocks.INT_LE, block + QH);
            FloatVector sum0 = FloatVector.zero(F);
            FloatVector sum1 = FloatVector.zero(F);
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(w, block + QS + k, part);
                    int xo = xi + k + part * F.length();
                    sum0 = PackedQuants.floats(lowQuants(packed, qh, k, part))
                            .fma(FloatVector.fromArray(F, x, xo), sum0);
                    sum1 = PackedQuants.floats(highQuants(packed, qh, k, part))
                            .fma(FloatVector.fromArray(F, x, xo + BLOCK_SIZE / 2), sum1);
                }
            }
            FloatVector d = FloatVector.broadcast(F, Blocks.fp16(w, block));
            acc0 = sum0.fma(d, acc0);
            acc1 = sum1.fma(d, acc1);
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public String toString() {
        return name();
    }
}
