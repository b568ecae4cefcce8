package org.qwen4j.quant;

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

/**
 * The split sum of the K-quants with minimums (Q4_K, Q5_K), {@code Σ (d·sc_j·q − dmin·m_j)·x}
 * taken apart as {@code Σ_j d·sc_j·Σ q·x − Σ_j dmin·m_j·Σ x_j}, as llama.cpp does: the parts the
 * two formats' decode kernels share, since their super-blocks begin alike (fp16 {@code d} and
 * {@code dmin}, then the twelve bytes of {@link SixBitScales}). A kernel makes two passes over a
 * row: one of these passes writes each super-block's scales {@code d·sc_j} to a per-thread array
 * and sums the minimums' share; then one flat loop over the row's groups of 64 values broadcasts
 * its two scales from that array. Against one pass that unpacked the scales inside its loop over
 * super-blocks, around a loop over four groups (which C2 split in three, with bounds checks and
 * spills around it, every super-block): Q4_K 19.9 → 13.3 ns per super-block on one thread in cache.
 */
final class KSplitSum {

    /** Floats of ordered activations per super-block: its 256 values, then its eight sub-block sums. */
    static final int ORDERED_BLOCK = 256 + 8;
    /** Floats of wide activations per super-block: its 256 values, then eight zeros and its eight sub-block sums. */
    static final int WIDE_BLOCK = 256 + 16;

    // The 256-bit kernels zero-extend 16 packed bytes to shorts and read them as eight ints, int lane
    // i holding bytes 2i and 2i + 1 of the half, so its nibbles at bits 0, 4, 16 and 20 are values
    // l, l + 32, l + 1 and l + 33 of the group (l = 2i plus 16 for the second half). Nibbles at bits
    // 4 and 16 are masked in place, 16 and 65536 times too large; their activations are scaled by
    // 1/16 and 1/65536 instead, which is exact. Vector v of a super-block is group v / 8, half
    // v / 4 % 2, nibble v % 4.
    private static final BlockOrder ORDER = BlockOrder.of(32, 8,
            (v, i) -> 64 * (v / 8) + 16 * (v / 4 % 2) + 2 * i + (v % 4 & 1) * 32 + (v % 4 >> 1))
            .scaledByPowersOfTwo(exponentsOfNibbles());
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    // The vector pass unpacks a super-block's twelve scale bytes from its first sixteen bytes
    // zero-extended to ints (d and dmin are bytes 0-3, scale byte k is byte 4 + k): lane j < 8
    // becomes scale j and lane 8 + j minimum j. Each lane takes its low bits from one byte (index,
    // shift, mask) and, for j >= 4, its top two bits from the top of another.
    private static final IntVector LOW_BYTE = IntVector.fromArray(I16,
            new int[] {4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15}, 0);
    private static final IntVector LOW_SHIFT = IntVector.fromArray(I16,
            new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector LOW_MASK = IntVector.fromArray(I16,
            new int[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
    private static final IntVector TOP_BYTE = IntVector.fromArray(I16,
            new int[] {0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 8, 9, 10, 11}, 0);
    private static final IntVector TOP_MASK = IntVector.fromArray(I16,
            new int[] {0, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 3, 3, 3, 3}, 0);
    /**
     * The scales of a row, for each thread that runs a kernel: the SPI lends kernels no scratch
     * memory, and a look-up per row costs a few nanoseconds (about 3 % of the 512-bit Q4_K kernel on
     * rows of 1536, in cache).
     */
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);

    private KSplitSum() {
    }

    /**
     * The calling thread's array for {@code count} scales of a row, with room for the sixteen lanes
     * that the kernels store last (Q4_K's and Q5_K's vector pass stores sixteen lanes for each
     * eight scales). Grows once per thread and row length. Shared by the K-quant kernels (Q2_K and
     * Q3_K too), which run one at a time on a thread.
     */
    static float[] scales(int count) {
        float[] scales = SCALES.get();
        if (scales.length < count + 16) {
            scales = new float[count + 16];
            SCALES.set(scales);
        }
        return scales;
    }

    /**
     * Writes {@code d·sc_j} of super-block {@code b} (at {@code byteOffset + b·blockBytes}) to
     * {@code scales[8b + j]} and returns the minimums' share, {@code Σ_b dmin_b·Σ_j m_j·Σx_j}, the
     * sub-block sums read from {@code x[sums + 8b + j]}: scalar unpacking, for 256-bit kernels.
     */
    static float scalar(MemorySegment w, long byteOffset, int blockBytes, float[] x, int sums, int blocks, float[] scales) {
        float minimums = 0f;
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * blockBytes;
            int header = w.get(Blocks.INT_LE, block);
            float d = Float.float16ToFloat((short) header);
            float dmin = Float.float16ToFloat((short) (header >>> 16));
            long low = SixBitScales.low(w, block + 2 * Short.BYTES);
            int high = SixBitScales.high(w, block + 2 * Short.BYTES);
            long packed = SixBitScales.kScales(low, high);
            for (int j = 0; j < 8; j++) scales[8 * b + j] = d * SixBitScales.byteAt(packed, j);
            minimums += dmin * SixBitScales.dotBytes(SixBitScales.kMins(low, high), x, sums + 8 * b);
        }
        return minimums;
    }

    /**
     * {@link #scalar} with 512-bit vector operations, the sub-block sums read from
     * {@code x[sums + 16b + 8 + j]} (after eight zeros: see {@link #wideActivations}).
     */
    static float vector(MemorySegment w, long byteOffset, int blockBytes, float[] x, int sums, int blocks, float[] scales) {
        FloatVector minimums = FloatVector.zero(W);
        for (int b = 0; b < blocks; b++) {
            long block = byteOffset + (long) b * blockBytes;
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, block, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sixBits = LOW_BYTE.selectFrom(bytes).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(LOW_MASK)
                    .or(TOP_BYTE.selectFrom(bytes).lanewise(VectorOperators.LSHR, 6).and(TOP_MASK)
                            .lanewise(VectorOperators.LSHL, 4));
            FloatVector values = (FloatVector) sixBits.convertShape(VectorOperators.I2F, W, 0);
            int header = w.get(Blocks.INT_LE, block);
            // Lanes 8-15 (minimums times d) land where the next super-block's scales go, or past
            // the row's: the array has room for them, and nothing reads them.
            values.mul(Float.float16ToFloat((short) header)).intoArray(scales, 8 * b);
            // The activations' lanes 0-7 are zeros, so the scales drop out of the minimums' share.
            minimums = values.mul(FloatVector.fromArray(W, x, sums + 16 * b))
                    .fma(FloatVector.broadcast(W, Float.float16ToFloat((short) (header >>> 16))), minimums);
        }
        return FixedOrderSum.of(minimums);
    }

    private static int[] exponentsOfNibbles() {
        int[] exponents = new int[32];
        for (int v = 0; v < exponents.length; v++) exponents[v] = switch (v % 4) {
            case 1 -> -4;
            case 2 -> -16;
            default -> 0;
        };
        return exponents;
    }

    /** Floats of activations for {@code n} values in the 512-bit ({@code wide}) or the 256-bit layout. */
    static int orderedLength(int n, boolean wide) {
        return n / 256 * (wide ? WIDE_BLOCK : ORDERED_BLOCK);
    }

    /**
     * {@link #wideActivations} or {@link #orderedActivations}, after checking {@code n} and both
     * ranges: what Q4_K's and Q5_K's {@code orderActivations} do.
     */
    static void orderActivations(boolean wide, float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        Blocks.checkLength(n, 256);
        Objects.checkFromIndexSize(xOffset, n, x.length);
        Objects.checkFromIndexSize(dstOffset, orderedLength(n, wide), dst.length);
        if (wide) {
            wideActivations(x, xOffset, dst, dstOffset, n);
        } else {
            orderedActivations(x, xOffset, dst, dstOffset, n);
        }
    }

    /**
     * Activations as the 256-bit kernels read them: the {@code n} values in the order described
     * above, then the eight sub-block sums of each super-block ({@link #ORDERED_BLOCK} floats per
     * super-block).
     */
    static void orderedActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        ORDER.apply(x, xOffset, dst, dstOffset, n);
        for (int b = 0; b < n / 256; b++) putSubBlockSums(x, xOffset + b * 256, dst, dstOffset + n + 8 * b);
    }

    /**
     * Activations as the 512-bit kernels read them: the {@code n} values in natural order, then per
     * super-block eight zeros and its eight sub-block sums ({@link #WIDE_BLOCK} floats per super-block).
     */
    static void wideActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        int blocks = n / 256;
        System.arraycopy(x, xOffset, dst, dstOffset, n);
        for (int b = 0; b < blocks; b++) {
            int sums = dstOffset + n + 16 * b;
            Arrays.fill(dst, sums, sums + 8, 0f);
            putSubBlockSums(x, xOffset + b * 256, dst, sums + 8);
        }
    }

    /** The plain sums of the eight sub-blocks of the super-block at {@code x[from..]}, which the minimums multiply. */
    static void putSubBlockSums(float[] x, int from, float[] dst, int at) {
        for (int j = 0; j < 8; j++) {
            float sum = 0f;
            for (int l = 0; l < 32; l++) sum += x[from + 32 * j + l];
            dst[at + j] = sum;
        }
    }
}
