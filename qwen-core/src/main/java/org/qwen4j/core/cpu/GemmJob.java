package org.qwen4j.core.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.qwen4j.spi.Tensor;

/**
 * The batched matrix product of prefill. Each task decodes {@link #ROWS} weight rows once into a
 * per-thread float tile (an array per row); a register-blocked micro-kernel then multiplies six or
 * twelve tile rows with two vectors' worth of tokens at a time. The activations are first transposed
 * so that one vector load holds the same column of consecutive tokens: each weight is broadcast once
 * and feeds two fused multiply-adds, each token vector feeds one per row, and the accumulators hold
 * finished sums, so no horizontal reduction happens inside the product (a dot-product kernel pays
 * one per output value). Decoding (the costly part for quantized weights) is paid once per batch
 * instead of once per token, and the weights stream from memory once per batch.
 */
final class GemmJob extends ProductJob {
    /**
     * Rows of the small micro-kernel: twelve accumulators, two token vectors and one broadcast
     * weight fit the sixteen registers of AVX2.
     */
    private static final int SMALL = 6;
    /**
     * Rows of the tall micro-kernel, for the 32 registers of AVX-512: 24 accumulators, two token
     * vectors, one weight. Each pass over a slice of the token panel feeds twice as many rows, so
     * the panel is read half as often; it pays where the panel leaves L2 (4864 columns by 128 tokens
     * are 2.5 MB): on one thread, the kernel alone, 107–130 → 150–161 GFLOP/s, and the same (165–173)
     * where the panel fits.
     */
    private static final int TALL = 12;
    /** Rows decoded together into one tile, then multiplied {@link #rowsPerKernel} at a time. */
    static final int ROWS = TALL;
    /** Below this many tokens the fused per-row kernels win: there is too little reuse to pay for decoding. */
    static final int MIN_BATCH = 4;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Tokens transposed together; see {@link #transposeColumns}. */
    private static final int TRANSPOSE_TOKENS = 16;
    /** Columns per unit of the transposition, which the workers share; see {@link #prepared}. */
    private static final int TRANSPOSE_COLUMNS = 64;
    /** Columns per slice for the six-row kernel; see {@link #run}. */
    private static final int SMALL_KC = 256;
    /**
     * Columns per slice for the twelve-row kernel: its slice of the token panel (1024 × 32 floats)
     * lives in L2 rather than L1, but the running sums go through memory four times less often.
     * pp512 of the 0.5B model, in-process alternation against 256: Q4_0 +4 %, BF16 +9 % (medians).
     */
    private static final int TALL_KC = 1024;
    /** Tokens the running sums are sized for at first, so that prompt chunks up to this long never grow them. */
    private static final int FIRST_SUMS_TOKENS = 128;

    /**
     * Per thread, one array per tile row. Separate arrays rather than one flat tile: each row is then
     * its own base address, so the micro-kernel's six broadcasts index with the column alone; with a
     * flat tile the six row offsets (multiples of a width unknown to the compiler) did not fit in
     * registers and were re-read from the stack at every column step. pp512 of the 0.5B Q8_0
     * model, three alternated pairs: 74 → 101 tokens/s.
     */
    private final float[][][] tiles;
    /** Per thread: the tile's running sums, row by row, {@link #stride} tokens each. */
    private final float[][] sums;
    /** The batch transposed to column-major, {@link #stride} floats per column, zero past the last token. */
    private float[] xt = new float[0];
    private int stride;
    private final WorkerPool.RangeTask transpose = this::transposeColumns;

    private final int rowsPerKernel;
    private final int sliceColumns;

    /** {@code tall}: the twelve-row micro-kernel (for machines with 32 vector registers), else the six-row one. */
    GemmJob(int threads, boolean tall) {
        this.rowsPerKernel = tall ? TALL : SMALL;
        this.sliceColumns = tall ? TALL_KC : SMALL_KC;
        this.tiles = new float[threads][ROWS][0];
        this.sums = new float[threads][0];
    }

    @Override
    int units(Tensor w) {
        return (w.rows() + ROWS - 1) / ROWS;
    }

    /**
     * Transposes the activations of this job on the workers. Padding tokens up to a whole vector are
     * zero, so the kernels never need a masked tail and their extra lanes are simply not stored.
     */
    @Override
    void prepared(WorkerPool pool) {
        int cols = weights[0].columns();
        for (int p = 1; p < count; p++) {
            if (weights[p].columns() != cols) throw new IllegalArgumentException("products of one job must share their input width");
        }
        int bp = (batch + L - 1) / L * L;
        if (xt.length < bp * cols) xt = new float[bp * cols];
        stride = bp;
        // Scratch grows here, before the workers start, never inside run: a growth branch there,
        // first taken when a later prompt was longer than the first, made C2 drop the compiled
        // GEMM mid-conversation and run it boxed until it recompiled.
        for (int worker = 0; worker < sums.length; worker++) {
            if (sums[worker].length < ROWS * bp) sums[worker] = new float[ROWS * Math.max(bp, FIRST_SUMS_TOKENS)];
            float[][] tile = tiles[worker];
            for (int r = 0; r < ROWS; r++) if (tile[r].length < cols) tile[r] = new float[cols];
        }
        // On the calling thread alone the transposition cost a fifth of a 128-token product 4864
        // columns wide (896 × 4864 Q4_0, two threads: 190–228 GFLOP/s, 238–288 when skipped).
        pool.run((cols + TRANSPOSE_COLUMNS - 1) / TRANSPOSE_COLUMNS, 1, transpose);
    }

    /** Columns {@code [from, to) · TRANSPOSE_COLUMNS} of the batch into the panel {@link #xt}. */
    private void transposeColumns(int from, int to, int worker) {
        int cols = weights[0].columns();
        int k0 = from * TRANSPOSE_COLUMNS;
        int k1 = Math.min(cols, to * TRANSPOSE_COLUMNS);
        int bp = stride;
        int batch = this.batch;
        float[] t = xt;
        float[] x = this.x;
        // Sixteen tokens at a time, so that each 64-byte line of the transposed panel is filled
        // while it is in L1 rather than once per token, a whole panel apart.
        for (int b0 = 0; b0 < bp; b0 += TRANSPOSE_TOKENS) {
            int b1 = Math.min(bp, b0 + TRANSPOSE_TOKENS);
            for (int k = k0; k < k1; k++) {
                int row = k * bp;
                for (int b = b0; b < b1; b++) t[row + b] = b < batch ? x[b * cols + k] : 0f;
            }
        }
    }

    @Override
    void run(int p, int fromGroup, int toGroup, int worker) {
        Tensor w = weights[p];
        float[] out = outs[p];
        int rows = w.rows();
        int cols = w.columns();
        long rowBytes = w.rowBytes();
        float[][] tile = tiles[worker];
        int bp = stride;
        float[] acc = sums[worker];
        for (int g = fromGroup; g < toGroup; g++) {
            int r0 = g * ROWS;
            int n = Math.min(ROWS, rows - r0);
            for (int r = 0; r < n; r++) {
                w.format().dequantizeFast(w.data(), (r0 + r) * rowBytes, tile[r], 0, cols);
            }
            // A last group short of a whole kernel's rows runs as whole kernels over zero rows whose
            // sums are dropped: a one-row kernel for the rest ran so rarely that it stayed in C1,
            // with every vector boxed, and its few rows made pp512 take twice as long in some runs.
            int m = (n + rowsPerKernel - 1) / rowsPerKernel * rowsPerKernel;
            for (int r = n; r < m; r++) Arrays.fill(tile[r], 0, cols, 0f);
            Arrays.fill(acc, 0, m * bp, 0f);
            // Columns in slices, so that a slice of the token panel (slice × 2L floats) and of the
            // tile rows stay in cache while the micro-kernel sweeps them; partial sums wait in acc.
            // Within a slice: token pairs of vectors outside, row groups inside.
            for (int k0 = 0; k0 < cols; k0 += sliceColumns) {
                int k1 = Math.min(cols, k0 + sliceColumns);
                for (int b0 = 0; b0 < bp; b0 += 2 * L) {
                    boolean two = b0 + L < bp;
                    if (rowsPerKernel == TALL) {
                        if (two) kernel12x2(tile, k0, k1, bp, b0, acc);
                        else kernel12x1(tile, k0, k1, bp, b0, acc);
                    } else {
                        for (int r = 0; r < m; r += SMALL) {
                            if (two) kernel6x2(tile, r, k0, k1, bp, b0, acc, r * bp);
                            else kernel6x1(tile, r, k0, k1, bp, b0, acc, r * bp);
                        }
                    }
                }
            }
            // Token by token, so that each token's outputs are written as one run of the tile's rows:
            // row by row, every store went to another token's row of the output (a stride of the
            // weight's whole height, one page apart for wide products) and each line was written
            // ROWS times. F32 4864×896 by 128 tokens on one thread: 122 → 146 GFLOP/s.
            for (int b = 0; b < batch; b++) {
                int o = b * rows + r0;
                for (int r = 0; r < n; r++) out[o + r] = acc[r * bp + b];
            }
        }
    }

    /** All twelve tile rows by two token vectors over columns {@code [k0, k1)}, added to the running sums in {@code acc}. */
    private void kernel12x2(float[][] tile, int k0, int k1, int bp, int b0, float[] acc) {
        float[] xt = this.xt;
        float[] t0 = tile[0], t1 = tile[1], t2 = tile[2], t3 = tile[3], t4 = tile[4], t5 = tile[5];
        float[] t6 = tile[6], t7 = tile[7], t8 = tile[8], t9 = tile[9], t10 = tile[10], t11 = tile[11];
        FloatVector a00 = FloatVector.fromArray(F, acc, 0 * bp + b0), a01 = FloatVector.fromArray(F, acc, 0 * bp + b0 + L);
        FloatVector a10 = FloatVector.fromArray(F, acc, 1 * bp + b0), a11 = FloatVector.fromArray(F, acc, 1 * bp + b0 + L);
        FloatVector a20 = FloatVector.fromArray(F, acc, 2 * bp + b0), a21 = FloatVector.fromArray(F, acc, 2 * bp + b0 + L);
        FloatVector a30 = FloatVector.fromArray(F, acc, 3 * bp + b0), a31 = FloatVector.fromArray(F, acc, 3 * bp + b0 + L);
        FloatVector a40 = FloatVector.fromArray(F, acc, 4 * bp + b0), a41 = FloatVector.fromArray(F, acc, 4 * bp + b0 + L);
        FloatVector a50 = FloatVector.fromArray(F, acc, 5 * bp + b0), a51 = FloatVector.fromArray(F, acc, 5 * bp + b0 + L);
        FloatVector a60 = FloatVector.fromArray(F, acc, 6 * bp + b0), a61 = FloatVector.fromArray(F, acc, 6 * bp + b0 + L);
        FloatVector a70 = FloatVector.fromArray(F, acc, 7 * bp + b0), a71 = FloatVector.fromArray(F, acc, 7 * bp + b0 + L);
        FloatVector a80 = FloatVector.fromArray(F, acc, 8 * bp + b0), a81 = FloatVector.fromArray(F, acc, 8 * bp + b0 + L);
        FloatVector a90 = FloatVector.fromArray(F, acc, 9 * bp + b0), a91 = FloatVector.fromArray(F, acc, 9 * bp + b0 + L);
        FloatVector aa0 = FloatVector.fromArray(F, acc, 10 * bp + b0), aa1 = FloatVector.fromArray(F, acc, 10 * bp + b0 + L);
        FloatVector ab0 = FloatVector.fromArray(F, acc, 11 * bp + b0), ab1 = FloatVector.fromArray(F, acc, 11 * bp + b0 + L);
        for (int k = k0, xo = k0 * bp + b0; k < k1; k++, xo += bp) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xo);
            FloatVector x1 = FloatVector.fromArray(F, xt, xo + L);
            FloatVector w = FloatVector.broadcast(F, t0[k]);
            a00 = w.fma(x0, a00);
            a01 = w.fma(x1, a01);
            w = FloatVector.broadcast(F, t1[k]);
            a10 = w.fma(x0, a10);
            a11 = w.fma(x1, a11);
            w = FloatVector.broadcast(F, t2[k]);
            a20 = w.fma(x0, a20);
            a21 = w.fma(x1, a21);
            w = FloatVector.broadcast(F, t3[k]);
            a30 = w.fma(x0, a30);
            a31 = w.fma(x1, a31);
            w = FloatVector.broadcast(F, t4[k]);
            a40 = w.fma(x0, a40);
            a41 = w.fma(x1, a41);
            w = FloatVector.broadcast(F, t5[k]);
            a50 = w.fma(x0, a50);
            a51 = w.fma(x1, a51);
            w = FloatVector.broadcast(F, t6[k]);
            a60 = w.fma(x0, a60);
            a61 = w.fma(x1, a61);
            w = FloatVector.broadcast(F, t7[k]);
            a70 = w.fma(x0, a70);
            a71 = w.fma(x1, a71);
            w = FloatVector.broadcast(F, t8[k]);
            a80 = w.fma(x0, a80);
            a81 = w.fma(x1, a81);
            w = FloatVector.broadcast(F, t9[k]);
            a90 = w.fma(x0, a90);
            a91 = w.fma(x1, a91);
            w = FloatVector.broadcast(F, t10[k]);
            aa0 = w.fma(x0, aa0);
            aa1 = w.fma(x1, aa1);
            w = FloatVector.broadcast(F, t11[k]);
            ab0 = w.fma(x0, ab0);
            ab1 = w.fma(x1, ab1);
        }
        a00.intoArray(acc, 0 * bp + b0);
        a01.intoArray(acc, 0 * bp + b0 + L);
        a10.intoArray(acc, 1 * bp + b0);
        a11.intoArray(acc, 1 * bp + b0 + L);
        a20.intoArray(acc, 2 * bp + b0);
        a21.intoArray(acc, 2 * bp + b0 + L);
        a30.intoArray(acc, 3 * bp + b0);
        a31.intoArray(acc, 3 * bp + b0 + L);
        a40.intoArray(acc, 4 * bp + b0);
        a41.intoArray(acc, 4 * bp + b0 + L);
        a50.intoArray(acc, 5 * bp + b0);
        a51.intoArray(acc, 5 * bp + b0 + L);
        a60.intoArray(acc, 6 * bp + b0);
        a61.intoArray(acc, 6 * bp + b0 + L);
        a70.intoArray(acc, 7 * bp + b0);
        a71.intoArray(acc, 7 * bp + b0 + L);
        a80.intoArray(acc, 8 * bp + b0);
        a81.intoArray(acc, 8 * bp + b0 + L);
        a90.intoArray(acc, 9 * bp + b0);
        a91.intoArray(acc, 9 * bp + b0 + L);
        aa0.intoArray(acc, 10 * bp + b0);
        aa1.intoArray(acc, 10 * bp + b0 + L);
        ab0.intoArray(acc, 11 * bp + b0);
        ab1.intoArray(acc, 11 * bp + b0 + L);
    }

    /** All twelve tile rows by the last single token vector of an odd count. */
    private void kernel12x1(float[][] tile, int k0, int k1, int bp, int b0, float[] acc) {
        float[] xt = this.xt;
        float[] t0 = tile[0], t1 = tile[1], t2 = tile[2], t3 = tile[3], t4 = tile[4], t5 = tile[5];
        float[] t6 = tile[6], t7 = tile[7], t8 = tile[8], t9 = tile[9], t10 = tile[10], t11 = tile[11];
        FloatVector a0 = FloatVector.fromArray(F, acc, 0 * bp + b0);
        FloatVector a1 = FloatVector.fromArray(F, acc, 1 * bp + b0);
        FloatVector a2 = FloatVector.fromArray(F, acc, 2 * bp + b0);
        FloatVector a3 = FloatVector.fromArray(F, acc, 3 * bp + b0);
        FloatVector a4 = FloatVector.fromArray(F, acc, 4 * bp + b0);
        FloatVector a5 = FloatVector.fromArray(F, acc, 5 * bp + b0);
        FloatVector a6 = FloatVector.fromArray(F, acc, 6 * bp + b0);
        FloatVector a7 = FloatVector.fromArray(F, acc, 7 * bp + b0);
        FloatVector a8 = FloatVector.fromArray(F, acc, 8 * bp + b0);
        FloatVector a9 = FloatVector.fromArray(F, acc, 9 * bp + b0);
        FloatVector aa = FloatVector.fromArray(F, acc, 10 * bp + b0);
        FloatVector ab = FloatVector.fromArray(F, acc, 11 * bp + b0);
        for (int k = k0, xo = k0 * bp + b0; k < k1; k++, xo += bp) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xo);
            a0 = FloatVector.broadcast(F, t0[k]).fma(x0, a0);
            a1 = FloatVector.broadcast(F, t1[k]).fma(x0, a1);
            a2 = FloatVector.broadcast(F, t2[k]).fma(x0, a2);
            a3 = FloatVector.broadcast(F, t3[k]).fma(x0, a3);
            a4 = FloatVector.broadcast(F, t4[k]).fma(x0, a4);
            a5 = FloatVector.broadcast(F, t5[k]).fma(x0, a5);
            a6 = FloatVector.broadcast(F, t6[k]).fma(x0, a6);
            a7 = FloatVector.broadcast(F, t7[k]).fma(x0, a7);
            a8 = FloatVector.broadcast(F, t8[k]).fma(x0, a8);
            a9 = FloatVector.broadcast(F, t9[k]).fma(x0, a9);
            aa = FloatVector.broadcast(F, t10[k]).fma(x0, aa);
            ab = FloatVector.broadcast(F, t11[k]).fma(x0, ab);
        }
        a0.intoArray(acc, 0 * bp + b0);
        a1.intoArray(acc, 1 * bp + b0);
        a2.intoArray(acc, 2 * bp + b0);
        a3.intoArray(acc, 3 * bp + b0);
        a4.intoArray(acc, 4 * bp + b0);
        a5.intoArray(acc, 5 * bp + b0);
        a6.intoArray(acc, 6 * bp + b0);
        a7.intoArray(acc, 7 * bp + b0);
        a8.intoArray(acc, 8 * bp + b0);
        a9.intoArray(acc, 9 * bp + b0);
        aa.intoArray(acc, 10 * bp + b0);
        ab.intoArray(acc, 11 * bp + b0);
    }

    /** Tile rows {@code [r, r + 6)} by two token vectors over columns {@code [k0, k1)}, added to the running sums at {@code acc[ao..]}. */
    private void kernel6x2(float[][] tile, int r, int k0, int k1, int bp, int b0, float[] acc, int ao) {
        float[] xt = this.xt;
        float[] t0 = tile[r], t1 = tile[r + 1], t2 = tile[r + 2], t3 = tile[r + 3], t4 = tile[r + 4], t5 = tile[r + 5];
        int o0 = ao + b0;
        int o1 = ao + bp + b0;
        int o2 = ao + 2 * bp + b0;
        int o3 = ao + 3 * bp + b0;
        int o4 = ao + 4 * bp + b0;
        int o5 = ao + 5 * bp + b0;
        FloatVector a00 = FloatVector.fromArray(F, acc, o0), a01 = FloatVector.fromArray(F, acc, o0 + L);
        FloatVector a10 = FloatVector.fromArray(F, acc, o1), a11 = FloatVector.fromArray(F, acc, o1 + L);
        FloatVector a20 = FloatVector.fromArray(F, acc, o2), a21 = FloatVector.fromArray(F, acc, o2 + L);
        FloatVector a30 = FloatVector.fromArray(F, acc, o3), a31 = FloatVector.fromArray(F, acc, o3 + L);
        FloatVector a40 = FloatVector.fromArray(F, acc, o4), a41 = FloatVector.fromArray(F, acc, o4 + L);
        FloatVector a50 = FloatVector.fromArray(F, acc, o5), a51 = FloatVector.fromArray(F, acc, o5 + L);
        for (int k = k0, xo = k0 * bp + b0; k < k1; k++, xo += bp) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xo);
            FloatVector x1 = FloatVector.fromArray(F, xt, xo + L);
            FloatVector w = FloatVector.broadcast(F, t0[k]);
            a00 = w.fma(x0, a00);
            a01 = w.fma(x1, a01);
            w = FloatVector.broadcast(F, t1[k]);
            a10 = w.fma(x0, a10);
            a11 = w.fma(x1, a11);
            w = FloatVector.broadcast(F, t2[k]);
            a20 = w.fma(x0, a20);
            a21 = w.fma(x1, a21);
            w = FloatVector.broadcast(F, t3[k]);
            a30 = w.fma(x0, a30);
            a31 = w.fma(x1, a31);
            w = FloatVector.broadcast(F, t4[k]);
            a40 = w.fma(x0, a40);
            a41 = w.fma(x1, a41);
            w = FloatVector.broadcast(F, t5[k]);
            a50 = w.fma(x0, a50);
            a51 = w.fma(x1, a51);
        }
        a00.intoArray(acc, o0);
        a01.intoArray(acc, o0 + L);
        a10.intoArray(acc, o1);
        a11.intoArray(acc, o1 + L);
        a20.intoArray(acc, o2);
        a21.intoArray(acc, o2 + L);
        a30.intoArray(acc, o3);
        a31.intoArray(acc, o3 + L);
        a40.intoArray(acc, o4);
        a41.intoArray(acc, o4 + L);
        a50.intoArray(acc, o5);
        a51.intoArray(acc, o5 + L);
    }

    /** Tile rows {@code [r, r + 6)} by the last single token vector of an odd count. */
    private void kernel6x1(float[][] tile, int r, int k0, int k1, int bp, int b0, float[] acc, int ao) {
        float[] xt = this.xt;
        float[] t0 = tile[r], t1 = tile[r + 1], t2 = tile[r + 2], t3 = tile[r + 3], t4 = tile[r + 4], t5 = tile[r + 5];
        int o0 = ao + b0;
        int o1 = ao + bp + b0;
        int o2 = ao + 2 * bp + b0;
        int o3 = ao + 3 * bp + b0;
        int o4 = ao + 4 * bp + b0;
        int o5 = ao + 5 * bp + b0;
        FloatVector a0 = FloatVector.fromArray(F, acc, o0);
        FloatVector a1 = FloatVector.fromArray(F, acc, o1);
        FloatVector a2 = FloatVector.fromArray(F, acc, o2);
        FloatVector a3 = FloatVector.fromArray(F, acc, o3);
        FloatVector a4 = FloatVector.fromArray(F, acc, o4);
        FloatVector a5 = FloatVector.fromArray(F, acc, o5);
        for (int k = k0, xo = k0 * bp + b0; k < k1; k++, xo += bp) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xo);
            a0 = FloatVector.broadcast(F, t0[k]).fma(x0, a0);
            a1 = FloatVector.broadcast(F, t1[k]).fma(x0, a1);
            a2 = FloatVector.broadcast(F, t2[k]).fma(x0, a2);
            a3 = FloatVector.broadcast(F, t3[k]).fma(x0, a3);
            a4 = FloatVector.broadcast(F, t4[k]).fma(x0, a4);
            a5 = FloatVector.broadcast(F, t5[k]).fma(x0, a5);
        }
        a0.intoArray(acc, o0);
        a1.intoArray(acc, o1);
        a2.intoArray(acc, o2);
        a3.intoArray(acc, o3);
        a4.intoArray(acc, o4);
        a5.intoArray(acc, o5);
    }
}
