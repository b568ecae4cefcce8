package org.qwen4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.qwen4j.spi.Tensor;

/**
 * The batched matrix product of prefill: each task decodes {@link #ROWS} weight rows once into a
 * per-thread float tile, then multiplies the tile with every token of the batch, three tokens at a
 * time, so that each loaded weight vector feeds twelve independent fused multiply-adds. Decoding
 * (the costly part for quantized weights) is paid once per batch instead of once per token, and
 * the weights stream from memory once per batch.
 */
final class GemmJob extends ProductJob {
    /** Rows decoded and multiplied together: four rows times three tokens fill twelve accumulators. */
    static final int ROWS = 4;
    private static final int TOKENS = 3;
    /** Below this many tokens the fused per-row kernels win: there is too little reuse to pay for decoding. */
    static final int MIN_BATCH = 4;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final float[][] tiles;

    GemmJob(int threads) {
        this.tiles = new float[threads][];
    }

    @Override
    int units(Tensor w) {
        return (w.rows() + ROWS - 1) / ROWS;
    }

    @Override
    void run(int p, int fromGroup, int toGroup, int worker) {
        Tensor w = weights[p];
        float[] out = outs[p];
        int rows = w.rows();
        int cols = w.columns();
        long rowBytes = w.rowBytes();
        float[] tile = tiles[worker];
        if (tile == null || tile.length < ROWS * cols) tile = tiles[worker] = new float[ROWS * cols];
        for (int g = fromGroup; g < toGroup; g++) {
            int r0 = g * ROWS;
            int n = Math.min(ROWS, rows - r0);
            for (int r = 0; r < n; r++) {
                w.format().dequantizeFast(w.data(), (r0 + r) * rowBytes, tile, r * cols, cols);
            }
            if (n < ROWS || cols % F.length() != 0) {
                edge(tile, out, n, r0, rows, cols);
                continue;
            }
            int b = 0;
            for (; b + TOKENS <= batch; b += TOKENS) kernel4x3(tile, out, cols, b, r0, rows);
            for (; b < batch; b++) kernel4x1(tile, out, cols, b, r0, rows);
        }
    }

    /** Four rows by three tokens; every accumulator is an independent chain. */
    private void kernel4x3(float[] t, float[] out, int cols, int b, int r0, int rows) {
        float[] x = this.x;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F);
        int x0 = b * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + k);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + k);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + k);
            FloatVector w0 = FloatVector.fromArray(F, t, k);
            a00 = w0.fma(v0, a00);
            a01 = w0.fma(v1, a01);
            a02 = w0.fma(v2, a02);
            FloatVector w1 = FloatVector.fromArray(F, t, cols + k);
            a10 = w1.fma(v0, a10);
            a11 = w1.fma(v1, a11);
            a12 = w1.fma(v2, a12);
            FloatVector w2 = FloatVector.fromArray(F, t, 2 * cols + k);
            a20 = w2.fma(v0, a20);
            a21 = w2.fma(v1, a21);
            a22 = w2.fma(v2, a22);
            FloatVector w3 = FloatVector.fromArray(F, t, 3 * cols + k);
            a30 = w3.fma(v0, a30);
            a31 = w3.fma(v1, a31);
            a32 = w3.fma(v2, a32);
        }
        int o0 = b * rows + r0;
        int o1 = o0 + rows;
        int o2 = o1 + rows;
        out[o0] = a00.reduceLanes(VectorOperators.ADD);
        out[o1] = a01.reduceLanes(VectorOperators.ADD);
        out[o2] = a02.reduceLanes(VectorOperators.ADD);
        out[o0 + 1] = a10.reduceLanes(VectorOperators.ADD);
        out[o1 + 1] = a11.reduceLanes(VectorOperators.ADD);
        out[o2 + 1] = a12.reduceLanes(VectorOperators.ADD);
        out[o0 + 2] = a20.reduceLanes(VectorOperators.ADD);
        out[o1 + 2] = a21.reduceLanes(VectorOperators.ADD);
        out[o2 + 2] = a22.reduceLanes(VectorOperators.ADD);
        out[o0 + 3] = a30.reduceLanes(VectorOperators.ADD);
        out[o1 + 3] = a31.reduceLanes(VectorOperators.ADD);
        out[o2 + 3] = a32.reduceLanes(VectorOperators.ADD);
    }

    private void kernel4x1(float[] t, float[] out, int cols, int b, int r0, int rows) {
        float[] x = this.x;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int x0 = b * cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, t, k).fma(v, a0);
            a1 = FloatVector.fromArray(F, t, cols + k).fma(v, a1);
            a2 = FloatVector.fromArray(F, t, 2 * cols + k).fma(v, a2);
            a3 = FloatVector.fromArray(F, t, 3 * cols + k).fma(v, a3);
        }
        int o = b * rows + r0;
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** A last group of fewer than four rows, or rows whose length is not a multiple of the vector width. */
    private void edge(float[] t, float[] out, int n, int r0, int rows, int cols) {
        float[] x = this.x;
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < n; r++) {
                int to = r * cols;
                int xo = b * cols;
                FloatVector acc = FloatVector.zero(F);
                int k = 0;
                for (int upper = F.loopBound(cols); k < upper; k += F.length()) {
                    acc = FloatVector.fromArray(F, t, to + k).fma(FloatVector.fromArray(F, x, xo + k), acc);
                }
                float sum = acc.reduceLanes(VectorOperators.ADD);
                for (; k < cols; k++) sum += t[to + k] * x[xo + k];
                out[b * rows + r0 + r] = sum;
            }
        }
    }
}
