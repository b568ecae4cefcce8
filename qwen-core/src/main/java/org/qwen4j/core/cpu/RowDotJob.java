package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Products for a few tokens (decode): one unit per weight row, computed with the format's fused
 * dequantize-dot kernel straight from the mapped weights, which are read exactly once. Formats
 * whose kernel reads activations in an order of its own get them rearranged once per job, shared by
 * the products of the same format (Q, K and V; gate and up).
 */
final class RowDotJob extends ProductJob {
    private final float[][] inputs = new float[MAX_PRODUCTS][];
    private final float[][] ordered = new float[MAX_PRODUCTS][];

    @Override
    int units(Tensor w) {
        return w.rows();
    }

    @Override
    void prepared() {
        for (int p = 0; p < count; p++) {
            TensorFormat format = weights[p].format();
            inputs[p] = x;
            if (!format.ordersActivations()) continue;
            int earlier = p - 1;
            while (earlier >= 0 && weights[earlier].format() != format) earlier--;
            if (earlier >= 0) {
                inputs[p] = inputs[earlier];
                continue;
            }
            int cols = weights[p].columns();
            int n = batch * cols;
            if (ordered[p] == null || ordered[p].length < n) ordered[p] = new float[n];
            for (int b = 0; b < batch; b++) format.orderActivations(x, b * cols, ordered[p], b * cols, cols);
            inputs[p] = ordered[p];
        }
    }

    @Override
    void clear() {
        super.clear();
        Arrays.fill(inputs, null);
    }

    @Override
    void run(int p, int from, int to, int worker) {
        Tensor w = weights[p];
        float[] out = outs[p];
        float[] x = inputs[p];
        TensorFormat format = w.format();
        MemorySegment data = w.data();
        int rows = w.rows();
        int cols = w.columns();
        long rowBytes = w.rowBytes();
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            for (int b = 0; b < batch; b++) out[b * rows + r] = format.dotOrdered(data, off, x, b * cols, cols);
        }
    }
}
