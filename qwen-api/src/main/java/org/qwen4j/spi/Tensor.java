package org.qwen4j.spi;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor whose bytes are a view of the mapped file.
 *
 * @param name   GGUF-style name, e.g. {@code blk.0.attn_q.weight}
 * @param format block layout of the data
 * @param shape  dimensions innermost first, as in GGUF: {@code shape[0]} is the row length
 * @param data   exactly the tensor's bytes
 */
public record Tensor(String name, TensorFormat format, long[] shape, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Elements per row. */
    public int columns() {
        return Math.toIntExact(shape[0]);
    }

    /** Rows: the product of every dimension but the innermost. */
    public int rows() {
        return Math.toIntExact(elements() / shape[0]);
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return format.byteSize(shape[0]);
    }

    /** Dequantizes the whole tensor (meant for small tensors such as norms and biases). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elements())];
        int cols = columns();
        long rowBytes = rowBytes();
        for (int r = 0, rows = rows(); r < rows; r++) {
            format.dequantize(data, r * rowBytes, out, r * cols, cols);
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " " + format.name() + " " + Arrays.toString(shape);
    }
}
