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
 * llama.cpp's {@code Q5_1} ({@code GGML_TYPE_Q5_1}, type 7): blocks of 32 values, each a
 * little-endian fp16 scale {@code d}, an fp16 offset {@code m}, a little-endian 32-bit word
 * {@code qh} of fifth bits and 16 bytes of low nibbles, laid out as in {@link Q5_0Format Q5_0}.
 * A 5-bit quant {@code q} stands for {@code d·q + m}. 24 bytes per 32 values, 6 bits per weight.
 *
 * <p>The quantizer is {@code quantize_row_q5_1_ref}, bit for bit: {@code m} is the block's
 * minimum, {@code d = (max − min) / 31}, and the quants are {@code trunc((x − min)·(1/d) + 0.5)},
 * computed with the float {@code d} and {@code min} before they are rounded to fp16.
 */
public final class Q5_1Format implements TensorFormat {

    /** The {@code ggml_type} number of Q5_1. */
    public static final int GGML_TYPE = 7;
    /** Values per block. */
    public static final int BLOCK_SIZE = 32;
    /** Bytes per block: the fp16 scale and offset, four bytes of fifth bits and 16 bytes of nibbles. */
    public static final int BLOCK_BYTES = 2 * Short.BYTES + Integer.BYTES + BLOCK_SIZE / 2;

    private static final int M = Short.BYTES;
    private static final int QH = 2 * Short.BYTES;
    private static final int QS = QH + Integer.BYTES;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public Q5_1Format() {
    }

    @Override
    public String name() {
        return "Q5_1";
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
            int qh = src.get(Blocks.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int packed = Blocks.u8(src, block + QS + j);
                int q0 = (packed & 0x0F) | (qh >>> j & 1) << 4;
                int q1 = (packed >>> 4) | (qh >>> (j + 16) & 1) << 4;
                // d·q is exact (11-bit × 5-bit significands): the addition is the one rounding.
                dst[out + j] = q0 * d + m;
                dst[out + j + BLOCK_SIZE / 2] = q1 * d + m;
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
            int qh = src.get(Blocks.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK_SIZE;
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(src, block + QS + k, part);
                    int o = out + k + part * F.length();
                    // Multiply, then add, as the scalar reference does (no fma), for identical bits.
                    PackedQuants.floats(lowQuants(packed, qh, k, part)).mul(d).add(m).intoArray(dst, o);
                    PackedQuants.floats(highQuants(packed, qh, k, part)).mul(d).add(m)
                            .intoArray(dst, o + BLOCK_SIZE / 2);
                }
            }
        }
    }

    /** Quants of values {@code k …}: low nibbles and bits {@code k …} of {@code qh}. */
    private static IntVector lowQuants(IntVector packed, int qh, int k, int part) {
        return packed.and(0x0F).or(PackedQuants.fifthBits(qh >>> k & 0xFF, part));
    }

    /** Quants of values {@code k + 16 …}: high nibbles and bits {@code k + 16 …} of {@code qh}. */
    private static IntVector highQuants(IntVector packed, int qh, int k, int part) {
        return packed.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                .or(PackedQuants.fifthBits(qh >>> (k + 16) & 0xFF, part));
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
            float d = (max - min) / 31;
            float id = d != 0f ? 1f / d : 0f;
            Blocks.putFp16(dst, block, d);
            Blocks.putFp16(dst, block + M, min);
            int qh = 0;
            for (int j = 0; j < BLOCK_SIZE / 2; j++) {
                int q0 = quant((src[from + j] - min) * id);
                int q1 = quant((src[from + j + BLOCK_SIZE / 2] - min) * id);
                Blocks.putU8(dst, block + QS + j, (q0 & 0x0F) | (q1 & 0x0F) << 4);
                qh |= (q0 >>> 4) << j | (q1 >>> 4) << (j + 16);
            }
            dst.set(Blocks.INT_LE, block + QH, qh);
        }
    }

    /**
     * {@code (uint8_t)(scaled + 0.5f)}: the float sum, then truncation toward zero. For finite
     * input the scaled value lies in [0, 31] up to rounding, so the clamp only catches what C
     * leaves undefined.
     */
    private static int quant(float scaled) {
        return Math.clamp((int) (scaled + 0.5f), 0, 31);
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        Blocks.checkLength(n, BLOCK_SIZE);
        // Weights formed exactly as dequantize forms them (see Q4_1Format.dot), two accumulators,
        // a compact loop so that C2 inlines every vector operation and allocates nothing.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        long end = byteOffset + (long) (n / BLOCK_SIZE) * BLOCK_BYTES;
        int xi = xOffset;
        // A long induction variable over byte offsets lets C2 hoist the segment bounds checks.
        for (long block = byteOffset; block < end; block += BLOCK_BYTES, xi += BLOCK_SIZE) {
            int header = w.get(Blocks.INT_LE, block);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat((short) header));
            FloatVector m = FloatVector.broadcast(F, Float.float16ToFloat((short) (header >>> 16)));
            int qh = w.get(Blocks.INT_LE, block + QH);
            for (int k = 0; k < BLOCK_SIZE / 2; k += 8) {
                for (int part = 0; part < PARTS; part++) {
                    IntVector packed = PackedQuants.ints(w, block + QS + k, part);
                    int xo = xi + k + part * F.length();
                    acc0 = PackedQuants.floats(lowQuants(packed, qh, k, part)).fma(d, m)
                            .fma(FloatVector.fromArray(F, x, xo), acc0);
                    acc1 = PackedQuants.floats(highQuants(packed, qh, k, part)).fma(d, m)
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
