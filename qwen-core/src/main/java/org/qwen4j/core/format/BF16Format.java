package org.qwen4j.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.spi.TensorFormat;

/**
 * bfloat16, little-endian, one element per block ({@code GGML_TYPE_BF16}, type 30): the upper half
 * of a float, so decoding is a 16-bit shift. Encoding follows llama.cpp's
 * {@code ggml_compute_fp32_to_bf16}: round to nearest even, and NaNs stay NaNs (made quiet) rather
 * than rounding into infinity.
 */
public final class BF16Format implements TensorFormat {

    /** The {@code ggml_type} number of BF16. */
    public static final int GGML_TYPE = 30;

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // The machine's widest vectors, but at least 128 bits so that the 16-bit loads below have a shape.
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 128
            ? FloatVector.SPECIES_PREFERRED
            : FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    // As many 16-bit lanes as F has float lanes, so that one load widens into one float vector.
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public BF16Format() {
    }

    @Override
    public String name() {
        return "BF16";
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
        return Short.BYTES;
    }

    /** Decodes one bfloat16 bit pattern. */
    static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Encodes a float as bfloat16, rounding to nearest even. */
    static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // Truncating could clear every remaining mantissa bit and turn the NaN into infinity.
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = toFloat(src.get(SHORT_LE, byteOffset + (long) i * Short.BYTES));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, byteOffset + (long) i * Short.BYTES, fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative length " + n);
        }
        int lanes = F.length();
        int step = 4 * lanes;
        long vbytes = (long) lanes * Short.BYTES;
        // Four independent accumulators hide the fma latency: one chain alone would stall on it.
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - step; i += step) {
            long p = byteOffset + (long) i * Short.BYTES;
            int q = xOffset + i;
            acc0 = load(w, p).fma(FloatVector.fromArray(F, x, q), acc0);
            acc1 = load(w, p + vbytes).fma(FloatVector.fromArray(F, x, q + lanes), acc1);
            acc2 = load(w, p + 2 * vbytes).fma(FloatVector.fromArray(F, x, q + 2 * lanes), acc2);
            acc3 = load(w, p + 3 * vbytes).fma(FloatVector.fromArray(F, x, q + 3 * lanes), acc3);
        }
        for (; i <= n - lanes; i += lanes) {
            acc0 = load(w, byteOffset + (long) i * Short.BYTES).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, byteOffset + (long) i * Short.BYTES)) * x[xOffset + i];
        }
        return sum;
    }

    /** Loads {@code F.length()} bfloat16 values; each is the upper half of its float. */
    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int lanes = F.length();
        int i = 0;
        for (; i <= n - lanes; i += lanes) load(src, byteOffset + (long) i * Short.BYTES).intoArray(dst, dstOffset + i);
        if (i < n) dequantize(src, byteOffset + (long) i * Short.BYTES, dst, dstOffset + i, n - i);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector halves = ShortVector.fromMemorySegment(S, w, offset, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) halves.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    @Override
    public String toString() {
        return name();
    }
}
