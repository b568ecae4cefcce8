package org.qwen4j.quant;

import static org.qwen4j.quant.PackedQuants.F;
import static org.qwen4j.quant.PackedQuants.PARTS;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.spi.TensorFormat;

/**
 * llama.cpp's {@code Q4_1} ({@code GGML_TYPE_Q4_1}, type 3): blocks of 32 values, each a
 * little-endian fp16 scale {@code d}, an fp16 offset {@code m} and 16 bytes of 4-bit quants. Byte
 * {@code j} holds value {@code j} in its low nibble and value {@code j + 16} in its high nibble; a
 * nibble {@code q} stands for {@code d·q + m}. 20 bytes per 32 values, 5 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q4_1_ref}, bit for bit: {@code m} is the block's
 * minimum, {@code d = (max − min) / 15}, and the nibbles are
 * {@code min(15, trunc((x − min)·(1/d) + 0.5))}, computed with the float {@code d} and {@code min}
 * before they are rounded to fp16.
 */
public final class Q4_1Format implements TensorFormat {

    /** The {@code ggml_type} number of Q4_1. */
    public static final int GGML_TYPE = 3;
    /** Values per block. */
    public static final int BLOCK_SIZE = 32;
    /** Bytes per block: the fp16 scale and offset and 16 bytes of nibbles. */
    public static final int BLOCK_BYTES = 2 * Short.BYTES + BLOCK_SIZE / 2;

    private static final int M = Short.BYTES;
    private static final int QS = 2 * Short.BYTES;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q4_1Format() {
    }

    @Override
    public String name() {
        return "Q4_1";
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
            float m = Blocks.fp16(src, block + M);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int packed = Blocks.u8(src, block + QS + j);
                // d·q is exact (11-bit × 4-bit significands): the addition is the one rounding.
                dst[out + j] = (packed & 0x0F) * d + m;
                dst[out + j + BLOCK_SIZE / 2] = (packed >>> 4) * d + m;
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
            float m = Blocks.fp16(src, block + M);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(src, block + QS + k, part);
                    int o = out + k + part * F.length();
                    // Multiply, then add, as the scalar reference does (no fma), for identical bits.
                    PackedQuants.floats(packed.and(0x0F)).mul(d).add(m).intoArray(dst, o);
                    PackedQuants.floats(packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)).mul(d).add(m)
                            .intoArray(dst, o + BLOCK_SIZE / 2);
                }
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
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < BLOCK_SIZE; j++) {
                float v = src[from + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / 15;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putFp16(dst, block, d);
            Blocks.putFp16(dst, block + M, min);
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int lo = nibble((src[from + j] - min) * id);
                int hi = nibble((src[from + j + BLOCK_SIZE / 2] - min) * id);
                Blocks.putU8(dst, block + QS + j, lo | hi << 4);
            }
        }
    }

    /**
     * {@code MIN(15, (int8_t)(scaled + 0.5f))}: the float sum, then truncation toward zero. The sum
     * is at least 0.5 for finite input, so the lower clamp only catches what C leaves undefined.
     */
    private static int nibble(float scaled) {
        return Math.clamp((int) (scaled + 0.5f), 0, 15);
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Each weight is formed exactly as dequantize forms it (q·d is exact, so fma(q, d, m)
        // rounds once, like the reference's addition), two accumulators, one per nibble. Splitting
        // Σ(d·q + m)·x into d·Σq·x + m·Σx would lose accuracy when the two terms nearly cancel. The
        // loop is kept compact so that C2 inlines every vector operation and allocates nothing.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            int header = w.get(Blocks.INT_LE, block);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) header));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (header >>> 16)));
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(w, block + QS + k, part);
                    int xo = xi + k + part * F.length();
                    acc0 = PackedQuants.floats(packed.and(0x0F)).fma(d, m).fma(FloatVector.fromArray(F, x, xo), acc0);
                    acc1 = PackedQuants.floats(packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)).fma(d, m)
                            .fma(FloatVector.fromArray(F, x, xo + BLOCK_SIZE / 2), acc1);
                }
            }
        }
        return FixedOrderSum.of(acc0.add(acc1));
    }

    @Override
    public String toString() {
        return name();
    }
}
