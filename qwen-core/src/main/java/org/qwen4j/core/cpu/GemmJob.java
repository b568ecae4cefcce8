package org.qwen4j.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.qwen4j.spi.Tensor;

/**
 * The batched matrix product of prefill: each task decodes {@link #ROWS} weight rows once into a
 * per-thread float tile, then multiplies the tile with every token of the batch, four tokens at a
 * time, so that each loaded token vector feeds two and each weight vector four fused multiply-adds. Decoding
 * (the costly part for quantized weights) is paid once per batch instead of once per token, and
 * the weights stream from memory once per batch.
 */
final class GemmJob extends ProductJob {
    /** Rows decoded together into one tile, then multiplied two at a time by {@link #TOKENS} tokens. */
    static final int ROWS = 8;
    private static final int TOKENS = 4;
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
            if (cols % F.length() != 0) {
                edge(tile, out, 0, n, r0, rows, cols);
                continue;
            }
            // Token quads outside, row pairs inside: a quad of activation rows stays in L1 while it
            // meets every row of the tile, so activations stream from L2 once per tile, not per pair.
            int pairs = n / 2;
            int b = 0;
            for (; b + TOKENS <= batch; b += TOKENS) {
                for (int j = 0; j < pairs; j++) kernel2x4(tile, 2 * j * cols, out, cols, b, r0 + 2 * j, rows);
            }
            for (; b < batch; b++) {
                for (int j = 0; j < pairs; j++) kernel2x1(tile, 2 * j * cols, out, cols, b, r0 + 2 * j, rows);
            }
            if (n % 2 != 0) edge(tile, out, n - 1, n, r0, rows, cols);
        }
    }

    /**
     * Two rows by four tokens: eight independent accumulator chains plus the two row vectors and one
     * token vector fit the sixteen AVX2 registers; wider tiles spill (measured: 4×3 ran at 40, 2×4 at
     * 56 GFLOP/s on one core).
     */
    private void kernel2x4(float[] t, int to, float[] out, int cols, int b, int r0, int rows) {
        float[] x = this.x;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        int x0 = b * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector w0 = FloatVector.fromArray(F, t, to + k);
            FloatVector w1 = FloatVector.fromArray(F, t, to + cols + k);
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a00 = w0.fma(v, a00);
            a10 = w1.fma(v, a10);
            v = FloatVector.fromArray(F, x, x1 + k);
            a01 = w0.fma(v, a01);
            a11 = w1.fma(v, a11);
            v = FloatVector.fromArray(F, x, x2 + k);
            a02 = w0.fma(v, a02);
            a12 = w1.fma(v, a12);
            v = FloatVector.fromArray(F, x, x3 + k);
            a03 = w0.fma(v, a03);
            a13 = w1.fma(v, a13);
        }
        int o = b * rows + r0;
        out[o] = a00.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD);
        out[o + rows] = a01.reduceLanes(VectorOperators.ADD);
        out[o + rows + 1] = a11.reduceLanes(VectorOperators.ADD);
        out[o + 2 * rows] = a02.reduceLanes(VectorOperators.ADD);
        out[o + 2 * rows + 1] = a12.reduceLanes(VectorOperators.ADD);
        out[o + 3 * rows] = a03.reduceLanes(VectorOperators.ADD);
        out[o + 3 * rows + 1] = a13.reduceLanes(VectorOperators.ADD);
    }

    private void kernel2x1(float[] t, int to, float[] out, int cols, int b, int r0, int rows) {
        float[] x = this.x;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int x0 = b * cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, t, to + k).fma(v, a0);
            a1 = FloatVector.fromArray(F, t, to + cols + k).fma(v, a1);
        }
        int o = b * rows + r0;
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
    }

    /** Tile rows {@code [from, to)} one at a time: an odd last row, or rows not a multiple of the vector width. */
    private void edge(float[] t, float[] out, int from, int n, int r0, int rows, int cols) {
        float[] x = this.x;
        for (int b = 0; b < batch; b++) {
            for (int r = from; r < n; r++) {
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
