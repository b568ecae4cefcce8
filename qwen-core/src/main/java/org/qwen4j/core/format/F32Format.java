package org.qwen4j.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.spi.TensorFormat;

/**
 * IEEE 754 single precision, little-endian, one element per block ({@code GGML_TYPE_F32}, type 0).
 * Norms, biases and small models are stored this way; its dot kernel is the baseline the other
 * formats are measured against.
 */
public final class F32Format implements TensorFormat {

    /** The {@code ggml_type} number of F32. */
    public static final int GGML_TYPE = 0;

    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public F32Format() {
    }

    @Override
    public String name() {
        return "F32";
    }

    @Override
    public int ggmlType() {
        return GGML_TYPE;
    }

    @Override
    public int blockSize() {
        return 1;
    }

    @Override
    public int blockBytes() {
        return Float.BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = src.get(FLOAT_LE, byteOffset + (long) i * Float.BYTES);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            dst.set(FLOAT_LE, byteOffset + (long) i * Float.BYTES, src[srcOffset + i]);
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        DotArguments.check(x, xOffset, n);
        int lanes = F.length();
        int step = 4 * lanes;
        // Four independent accumulators hide the fma latency: one chain alone would stall on it.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - step; i += step) {
            long p = byteOffset + (long) i * Float.BYTES;
            int q = xOffset + i;
            acc0 = load(w, p).fma(FloatVector.fromArray(F, x, q), acc0);
            acc1 = load(w, p + F.vectorByteSize()).fma(FloatVector.fromArray(F, x, q + lanes), acc1);
            acc2 = load(w, p + 2L * F.vectorByteSize()).fma(FloatVector.fromArray(F, x, q + 2 * lanes), acc2);
            acc3 = load(w, p + 3L * F.vectorByteSize()).fma(FloatVector.fromArray(F, x, q + 3 * lanes), acc3);
        }
        for (; i <= n - lanes; i += lanes) {
            acc0 = load(w, byteOffset + (long) i * Float.BYTES).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = FixedOrderSum.of(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += w.get(FLOAT_LE, byteOffset + (long) i * Float.BYTES) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        MemorySegment.copy(src, FLOAT_LE, byteOffset, dst, dstOffset, n);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(F, w, offset, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String toString() {
        return name();
    }
}
