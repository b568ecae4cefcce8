package org.qwen4j.core.format;

import java.util.Objects;

/** The argument check every dot kernel of this package makes before it reads anything. */
final class DotArguments {
    private DotArguments() {
    }

    /** Throws unless {@code n} is non-negative and {@code x[xOffset, xOffset + n)} exists. */
    static void check(float[] x, int xOffset, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative length " + n);
        }
        Objects.checkFromIndexSize(xOffset, n, x.length);
    }
}
