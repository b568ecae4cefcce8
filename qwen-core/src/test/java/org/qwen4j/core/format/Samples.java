package org.qwen4j.core.format;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    /** A copy of {@code segment} that starts {@code shift} bytes later in a larger segment, after garbage bytes. */
    static MemorySegment shifted(MemorySegment segment, int shift) {
        MemorySegment copy = Arena.ofAuto().allocate(segment.byteSize() + shift);
        for (int i = 0; i < shift; i++) {
            copy.set(ValueLayout.JAVA_BYTE, i, (byte) 0x7F);
        }
        MemorySegment.copy(segment, 0, copy, shift, segment.byteSize());
        return copy;
    }
}
