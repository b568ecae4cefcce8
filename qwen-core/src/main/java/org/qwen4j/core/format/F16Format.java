package org.qwen4j.core.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import org.qwen4j.spi.TensorFormat;

/**
 * IEEE 754 half precision (binary16), little-endian, one element per block ({@code GGML_TYPE_F16},
 * type 1). Encoding rounds to nearest even, as llama.cpp's {@code GGML_FP32_TO_FP16} does.
 *
 * <p>The dot kernel widens halves to floats with integer arithmetic because the Vector API has no
 * lane-wise half-to-float conversion: the 15 magnitude bits are moved to the float's exponent and
 * mantissa positions and the result is multiplied by 2<sup>112</sup>, which rebiases the exponent
 * (15 → 127) and turns half subnormals into float normals exactly; only infinities and NaNs need
 * a fix-up, because their all-ones exponent must stay all ones.
 */
public final class F16Format implements TensorFormat {

    /** The {@code ggml_type} number of F16. */
    public static final int GGML_TYPE = 1;

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

    /** 2^112 = 2^(127 - 15): the exponent bias difference between float and half. */
    private static final float REBIAS = 0x1.0p112f;
    /** Sign bit and the 15 magnitude bits of a sign-extended half shifted left by 13. */
    private static final int SIGN_AND_MAGNITUDE = 0x8FFF_E000;
    /** The half exponent field once shifted into place; all ones marks infinity or NaN. */
    private static final int HALF_EXPONENT = 0x0F80_0000;
    /** Completes a half's all-ones exponent (bits 23..27) to a float's (bits 23..30). */
    private static final int FLOAT_EXPONENT_TOP = 0x7000_0000;

    /** Public so that {@link java.util.ServiceLoader} can instantiate it. */
    public F16Format() {
    }

    @Override
    public String name() {
        return "F16";
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

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + (long) i * Short.BYTES));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, byteOffset + (long) i * Short.BYTES, Float.floatToFloat16(src[srcOffset + i]));
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
            sum += Float.float16ToFloat(w.get(SHORT_LE, byteOffset + (long) i * Short.BYTES)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int lanes = F.length();
        int i = 0;
        for (; i <= n - lanes; i += lanes) load(src, byteOffset + (long) i * Short.BYTES).intoArray(dst, dstOffset + i);
        for (; i < n; i++) dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, byteOffset + (long) i * Short.BYTES));
    }

    /** Loads {@code F.length()} halves and widens them exactly to floats. */
    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector halves = ShortVector.fromMemorySegment(S, w, offset, ByteOrder.LITTLE_ENDIAN);
        // Sign extension copies the sign into bits 16..31, so after the shift it sits at bit 31.
        IntVector bits = ((IntVector) halves.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 13)
                .and(SIGN_AND_MAGNITUDE);
        VectorMask<Integer> infOrNaN = bits.and(HALF_EXPONENT).compare(VectorOperators.EQ, HALF_EXPONENT);
        bits = bits.lanewise(VectorOperators.OR, FLOAT_EXPONENT_TOP, infOrNaN);
        // Infinity and NaN survive the multiplication unchanged; everything else is rebiased exactly.
        return bits.reinterpretAsFloats().mul(REBIAS);
    }

    @Override
    public String toString() {
        return name();
    }
}
