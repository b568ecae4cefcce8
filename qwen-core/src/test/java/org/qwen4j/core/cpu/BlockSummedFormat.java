package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A test format whose ordered activations are longer than the activations: nine floats per block
 * of eight (the activations, then their sum), like the K-quants that carry per-block sums for their
 * minimums. Its ordered kernel computes {@code Σ (w + 1)·x − Σx}, so it is wrong unless it reads
 * each token's activations and sums where {@link #orderedLength} puts them.
 */
final class BlockSummedFormat extends F32BlockTestFormat {
    private static final int ORDERED_BLOCK = BLOCK + 1;

    @Override
    public String name() {
        return "BLOCK_SUMMED_F32";
    }

    @Override
    public int ggmlType() {
        return -2;
    }

    @Override
    public int orderedLength(int n) {
        return n / BLOCK * ORDERED_BLOCK;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            float sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                float v = x[xOffset + b * BLOCK + i];
                dst[dstOffset + b * ORDERED_BLOCK + i] = v;
                sum += v;
            }
            dst[dstOffset + b * ORDERED_BLOCK + BLOCK] = sum;
        }
        return true;
    }

    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / BLOCK; b++) {
            int at = xOffset + b * ORDERED_BLOCK;
            for (int i = 0; i < BLOCK; i++) sum += (weight(w, byteOffset, b * BLOCK + i) + 1) * x[at + i];
            sum -= x[at + BLOCK];
        }
        return sum;
    }
}
