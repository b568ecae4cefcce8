package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A test format whose ordered kernel expects each block's activations reversed. A backend that
 * hands it natural activations, or another format's ordering, computes wrong products.
 */
final class BlockReversedFormat extends F32BlockTestFormat {

    @Override
    public String name() {
        return "BLOCK_REVERSED_F32";
    }

    @Override
    public int ggmlType() {
        return -1;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = x[xOffset + reversed(i)];
        return true;
    }

    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += weight(w, byteOffset, i) * x[xOffset + reversed(i)];
        return sum;
    }

    private static int reversed(int i) {
        return i - i % BLOCK + (BLOCK - 1 - i % BLOCK);
    }
}
