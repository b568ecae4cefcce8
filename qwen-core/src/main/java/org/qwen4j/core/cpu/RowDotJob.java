package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Products for a few tokens (decode): one unit per weight row, computed with the format's fused
 * dequantize-dot kernel straight from the mapped weights, which are read exactly once. Formats
 * whose kernel reads activations in an order of its own get them rearranged once per job, shared by
 * the products of the same format (Q, K and V; gate and up); activations that have no ordered form
 * in a format go to its natural-order kernel instead.
 */
final class RowDotJob extends ProductJob {
    private final float[][] inputs = new float[MAX_PRODUCTS][];
    private final float[][] ordered = new float[MAX_PRODUCTS][];
    /** Tensors a product has shown to hold no infinity or NaN (see {@link TensorFormat#dotOrderedFinite}). */
    private final Set<Tensor> finite = Collections.newSetFromMap(new IdentityHashMap<>());
    private final boolean[] trusted = new boolean[MAX_PRODUCTS];
    /** Products whose activations the format could not order: they run {@link TensorFormat#dot}. */
    private final boolean[] natural = new boolean[MAX_PRODUCTS];
    /** Floats from one token's activations to the next in {@code inputs[p]}: see {@link TensorFormat#orderedLength}. */
    private final int[] stride = new int[MAX_PRODUCTS];

    @Override
    int units(Tensor w) {
        return w.rows();
    }

    @Override
    void prepared(WorkerPool pool) {
        for (int p = 0; p < count; p++) {
            TensorFormat format = weights[p].format();
            trusted[p] = finite.contains(weights[p]);
            int cols = weights[p].columns();
            inputs[p] = x;
            stride[p] = cols;
            natural[p] = false;
            if (!format.ordersActivations()) continue;
            int earlier = p - 1;
            while (earlier >= 0 && weights[earlier].format() != format) earlier--;
            if (earlier >= 0) {
                inputs[p] = inputs[earlier];
                stride[p] = stride[earlier];
                natural[p] = natural[earlier];
                continue;
            }
            int length = format.orderedLength(cols);
            int n = batch * length;
            if (ordered[p] == null || ordered[p].length < n) ordered[p] = new float[n];
            boolean orderable = true;
            for (int b = 0; b < batch && orderable; b++) {
                orderable = format.orderActivations(x, b * cols, ordered[p], b * length, cols);
            }
            if (orderable) {
                inputs[p] = ordered[p];
                stride[p] = length;
            } else {
                natural[p] = true;
            }
        }
    }

    /**
     * After the job: a tensor whose outputs were all finite holds no infinity or NaN (one would
     * have made its row's sum infinite or NaN), so later products may use the unchecked kernel.
     */
    void learnFiniteTensors() {
        for (int p = 0; p < count; p++) {
            if (trusted[p]) continue;
            float[] out = outs[p];
            int n = batch * weights[p].rows();
            boolean allFinite = true;
            for (int i = 0; i < n && allFinite; i++) allFinite = Float.isFinite(out[i]);
            if (allFinite) finite.add(weights[p]);
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
        boolean finiteRows = trusted[p];
        boolean naturalOrder = natural[p];
        int xStride = stride[p];
        int group = finiteRows && !naturalOrder ? format.rowsPerPass() : 1;
        if (group > 1) {
            // Rows a part of the range apart, read side by side: several memory streams per thread.
            int part = (to - from) / group;
            for (int r = from; r < from + part; r++) {
                for (int b = 0; b < batch; b++) {
                    format.dotOrderedFiniteRows(data, r * rowBytes, part * rowBytes, group, x, b * xStride, cols,
                            out, b * rows + r, part);
                }
            }
            from += group * part;
        }
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            for (int b = 0; b < batch; b++) {
                out[b * rows + r] = naturalOrder ? format.dot(data, off, x, b * cols, cols)
                        : finiteRows ? format.dotOrderedFinite(data, off, x, b * xStride, cols)
                        : format.dotOrdered(data, off, x, b * xStride, cols);
            }
        }
    }
}
