package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.qwen4j.spi.TensorFormat;

/**
 * A test format that asks for ordered activations: F32 storage in blocks of eight, whose ordered
 * kernel expects each block's activations reversed. A backend that hands it natural activations,
 * or another format's ordering, computes wrong products.
 */
final class BlockReversedFormat implements TensorFormat {
    private static final int BLOCK = 8;

    @Override
    public String name() {
        return "BLOCK_REVERSED_F32";
    }

    @Override
    public int ggmlType() {
        return -1;
    }

    @Override
    public int blockSize() {
        return BLOCK;
    }

    @Override
    public int blockBytes() {
        return BLOCK * Float.BYTES;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = src.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * i);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * i, src[srcOffset + i]);
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += src(w, byteOffset, i) * x[xOffset + i];
        return sum;
    }

    @Override
    public boolean ordersActivations() {
        return true;
    }

    @Override
    public boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = x[xOffset + reversed(i)];
        return true;
    }

    @Override
    public float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += src(w, byteOffset, i) * x[xOffset + reversed(i)];
        return sum;
    }

    private static int reversed(int i) {
        return i - i % BLOCK + (BLOCK - 1 - i % BLOCK);
    }

    private static float src(MemorySegment w, long byteOffset, int i) {
        return w.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * i);
    }
}
