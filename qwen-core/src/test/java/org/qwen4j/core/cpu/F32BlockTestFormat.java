package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.qwen4j.spi.TensorFormat;

/**
 * F32 storage in blocks of {@link #BLOCK} for the test formats that ask for ordered activations:
 * subclasses say how they order them and how their ordered kernel reads them, so that a backend
 * handing them the wrong form computes wrong products.
 */
abstract class F32BlockTestFormat implements TensorFormat {
    static final int BLOCK = 8;

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
        for (int i = 0; i < n; i++) dst[dstOffset + i] = weight(src, byteOffset, i);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * i, src[srcOffset + i]);
    }

    @Override
    public float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += weight(w, byteOffset, i) * x[xOffset + i];
        return sum;
    }

    @Override
    public boolean ordersActivations() {
        return true;
    }

    /** Weight {@code i} of the row at {@code byteOffset}. */
    static float weight(MemorySegment w, long byteOffset, int i) {
        return w.get(ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset + 4L * i);
    }
}
