package org.qwen4j.core.simd;

import jdk.incubator.vector.FloatVector;

/**
 * Whether the decode kernels that have a 512-bit variant use it: on machines whose preferred
 * vector is 512 bits, unless the system property {@code qwen4j.kernel.bits} asks for 256 (for
 * comparing the two on one machine, or for CPUs that slow their clock under 512-bit work).
 *
 * <pre>{@code
 * java -Dqwen4j.kernel.bits=256 ...   // keep the 256-bit kernels on an AVX-512 machine
 * }</pre>
 */
public final class KernelWidth {
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && Integer.getInteger("qwen4j.kernel.bits", 512) >= 512;

    private KernelWidth() {
    }

    /** True where the 512-bit kernels run. */
    public static boolean wide() {
        return WIDE;
    }
}
