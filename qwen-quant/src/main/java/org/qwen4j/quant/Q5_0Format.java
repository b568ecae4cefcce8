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

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
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
