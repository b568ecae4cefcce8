package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Products for a few tokens (decode): one unit per weight row, computed with the format's fused
 * dequantize-dot kernel straight from the mapped weights, which are read exactly once.
 */
final class RowDotJob extends ProductJob {
    @Override
    int units(Tensor w) {
        return w.rows();
    }

    @Override
    void run(int p, int from, int to, int worker) {
        Tensor w = weights[p];
        float[] out = outs[p];
        float[] x = this.x;
        TensorFormat format = w.format();
        MemorySegment data = w.data();
        int rows = w.rows();
        int cols = w.columns();
        long rowBytes = w.rowBytes();
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            for (int b = 0; b < batch; b++) out[b * rows + r] = format.dot(data, off, x, b * cols, cols);
        }
    }
}
