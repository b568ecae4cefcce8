package org.qwen4j.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random inputs and segment layouts for the format tests. */
final class Samples {

    private Samples() {
    }

    /** {@code n} normally distributed floats with standard deviation {@code sigma}. */
    static float[] gaussian(Random random, int n, float sigma) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * sigma;
        }
        return values;
    }

    /** {@code n} uniformly distributed floats in [{@code from}, {@code to}). */
    static float[] uniform(Random random, int n, float from, float to) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(from, to);
        }
        return values;
    }

    /** A copy of {@code segment} that starts {@code shift} bytes later in a larger segment, after garbage bytes. */
    static MemorySegment shifted(MemorySegment segment, int shift) {
        MemorySegment copy = Arena.ofAuto().allocate(segment.byteSize() + shift);
        for (int i = 0; i < shift; i++) {
            copy.set(ValueLayout.JAVA_BYTE, i, (byte) 0x7F);
        }
        MemorySegment.copy(segment, 0, copy, shift, segment.byteSize());
        return copy;
    }

    /**
     * {@code blocks} blocks of random bytes whose leading fp16 scale is a random finite value:
     * every quant pattern occurs, including ones a quantizer never writes (such as Q8_0's -128).
     */
    static MemorySegment randomBlocks(Random random, int blocks, int blockBytes) {
        return randomBlocks(random, blocks, blockBytes, 0);
    }

    /**
     * {@code blocks} blocks of random bytes whose fp16 fields at {@code fp16Offsets} (scales,
     * minimums) are random finite values, so that every block decodes to finite numbers.
     */
    static MemorySegment randomBlocks(Random random, int blocks, int blockBytes, int... fp16Offsets) {
        byte[] bytes = new byte[blocks * blockBytes];
        random.nextBytes(bytes);
        MemorySegment segment = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        ValueLayout.OfShort scaleLayout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++) {
            for (int offset : fp16Offsets) {
                // Scales from fp16 subnormals (2^-20) up to 2^4, with either sign.
                float scale = (float) Math.scalb(random.nextDouble(1, 2), random.nextInt(-20, 4))
                        * (random.nextBoolean() ? 1 : -1);
                segment.set(scaleLayout, (long) b * blockBytes + offset, Float.floatToFloat16(scale));
            }
        }
        return segment;
    }
}
