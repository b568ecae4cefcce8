package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.qwen4j.KvCacheType;
import org.qwen4j.core.simd.FixedOrderSum;
import org.qwen4j.core.simd.KernelWidth;
import org.qwen4j.core.simd.LanewiseExp;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.Rope;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Vector API kernels on a {@link WorkerPool} the backend owns. Matrix products are split by output
 * rows and attention by (token, head), so each output value is computed by exactly one thread in a
 * fixed order: results are identical for every thread count. Operations are serialised per backend
 * because the reusable job objects below hold their arguments.
 */
public final class SimdBackend implements Backend {
    public static final String NAME = "cpu-simd";
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final WorkerPool pool;
    private final RowDotJob rowDot = new RowDotJob();
    private final GemmJob gemm;
    private final Tensor[] single = new Tensor[1];
    private final float[][] singleOut = new float[1][];
    private final AttentionJob attention = new AttentionJob();

    static {
        // The Vector API's non-intrinsic paths (run until C2 compiles a caller) reinterpret vectors
        // through heap memory segments. Until a heap segment exists, C2 compiles every MemorySegment
        // access (the weight kernels, the GGUF reader) assuming native segments are the only kind;
        // the first one, made midway through the first prompt, deoptimised some forty compiled
        // methods at once, hot kernels included, and they ran slowly again until recompiled.
        // Making one before any kernel is compiled keeps those compilations valid.
        MemorySegment.ofArray(new byte[0]);
    }

    public SimdBackend(int threads) {
        this(threads, KernelWidth.wide());
    }

    /** {@code tallGemm}: prefill's twelve-row micro-kernel, else the six-row one (tests run both anywhere). */
    SimdBackend(int threads, boolean tallGemm) {
        this.pool = new WorkerPool(threads, "qwen4j-cpu");
        this.gemm = new GemmJob(threads, tallGemm);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public void embed(Tensor table, int[] tokens, int offset, int count, float[] out) {
        int dim = table.columns();
        for (int b = 0; b < count; b++) {
            table.format().dequantize(table.data(), tokens[offset + b] * table.rowBytes(), out, b * dim, dim);
        }
    }

    @Override
    public synchronized void matmul(Tensor w, float[] x, float[] out, int batch) {
        single[0] = w;
        singleOut[0] = out;
        products(single, singleOut, 1, x, batch);
        single[0] = null;
        singleOut[0] = null;
    }

    @Override
    public synchronized void matmul(Tensor[] weights, float[] x, float[][] outs, int batch) {
        products(weights, outs, weights.length, x, batch);
    }

    private void products(Tensor[] weights, float[][] outs, int count, float[] x, int batch) {
        ProductJob job = batch >= GemmJob.MIN_BATCH ? gemm : rowDot;
        int units = job.prepare(weights, outs, count, x, batch, pool);
        try {
            // Row products cost the same per unit: guided chunks down to 1/128 of the job even out
            // the threads' finish (2 threads: +4 to +7 % on a 24-layer decode emulated alone).
            pool.run(units, 64, job);
            if (job == rowDot) rowDot.learnFiniteTensors();
        } finally {
            job.clear();
        }
    }

    @Override
    public void addBias(float[] x, float[] bias, int batch) {
        for (int b = 0; b < batch; b++) addInto(x, b * bias.length, bias, 0, bias.length);
    }

    @Override
    public void add(float[] x, float[] delta, int n) {
        addInto(x, 0, delta, 0, n);
    }

    private static void addInto(float[] x, int xo, float[] d, int dOff, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).add(FloatVector.fromArray(F, d, dOff + i)).intoArray(x, xo + i);
        }
        for (; i < n; i++) x[xo + i] += d[dOff + i];
    }

    @Override
    public void rmsnorm(float[] out, float[] x, float[] weight, int batch, int dim, float epsilon) {
        for (int b = 0; b < batch; b++) {
            int o = b * dim;
            int i = 0;
            FloatVector acc = FloatVector.zero(F);
            for (int upper = F.loopBound(dim); i < upper; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, o + i);
                acc = v.fma(v, acc);
            }
            float ss = FixedOrderSum.of(acc);
            for (; i < dim; i++) ss += x[o + i] * x[o + i];
            float scale = (float) (1.0 / Math.sqrt(ss / dim + epsilon));
            i = 0;
            for (int upper = F.loopBound(dim); i < upper; i += F.length()) {
                FloatVector.fromArray(F, x, o + i).mul(scale).mul(FloatVector.fromArray(F, weight, i))
                        .intoArray(out, o + i);
            }
            for (; i < dim; i++) out[o + i] = x[o + i] * scale * weight[i];
        }
    }

    @Override
    public void rope(float[] x, int batch, int heads, int headDim, int startPos, Rope rope) {
        int half = headDim / 2;
        double[] freq = rope.inverseFrequencies();
        float mag = rope.magnitude();
        for (int b = 0; b < batch; b++) {
            int pos = startPos + b;
            for (int i = 0; i < half; i++) {
                double angle = pos * freq[i];
                float cos = (float) Math.cos(angle) * mag;
                float sin = (float) Math.sin(angle) * mag;
                for (int h = 0; h < heads; h++) {
                    int o = (b * heads + h) * headDim + i;
                    float x0 = x[o];
                    float x1 = x[o + half];
                    x[o] = x0 * cos - x1 * sin;
                    x[o + half] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        // A vector exponential (within two ulps of Math.exp, the same bits in every JIT tier); a
        // scalar Math.exp per value cost a twentieth of a prompt's time.
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = LanewiseExp.of(g.neg());
            g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public KvCache newKvCache(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type) {
        // The attention job sizes its scratch on first use: it depends on the query heads per KV head.
        return new CpuKvCache(layers, contextLength, kvHeads, headDim, type, pool.threads(), 0, 0);
    }

    @Override
    public long attentionScratchBytes(int contextLength, int heads, int kvHeads, int headDim) {
        return (long) threads() * ((long) AttentionJob.TOKENS * (heads / kvHeads) * (AttentionJob.CHUNK + 2)
                + 2L * F.length() * headDim) * Float.BYTES;
    }

    @Override
    public synchronized void attention(float[] out, float[] q, float[] k, float[] v, KvCache cache, int layer,
                                       int batch, int startPos, int heads, int kvHeads, int headDim) {
        CpuKvCache kv = (CpuKvCache) cache;
        kv.store(layer, startPos, k, v, batch);
        AttentionJob job = attention;
        job.out = out;
        job.q = q;
        job.cache = kv;
        job.keys = kv.keys[layer];
        job.values = kv.values[layer];
        job.startPos = startPos;
        job.heads = heads;
        job.kvHeads = kvHeads;
        job.headDim = headDim;
        job.group = heads / kvHeads;
        job.scale = (float) (1.0 / Math.sqrt(headDim));
        job.batch = batch;
        int blocks = (batch + AttentionJob.TOKENS - 1) / AttentionJob.TOKENS;
        // Later tokens see more keys: small chunks let the threads even out the work.
        pool.run(blocks * kvHeads, 4, job);
        job.out = null;
        job.q = null;
        job.cache = null;
        job.keys = null;
        job.values = null;
    }

    /**
     * Causal attention of one (block of up to {@link #TOKENS} tokens, KV head) pair per index. The
     * cache is read in tiles of one vector's width of positions, each decoded once for every query
     * that may see it: all the block's tokens and, for grouped-query attention, every query head
     * that shares the KV head. Scores come from the key tile transposed (positions in lanes), so a
     * vector of scores needs no horizontal sums; the weighted values accumulate in registers over
     * a whole tile before they are written back.
     */
    private static final class AttentionJob implements WorkerPool.RangeTask {
        /**
         * Tokens of a prompt that share the decoding of the cached rows. Sixteen rather than eight:
         * one 0.5B layer's attention over a 512-token prompt in 128-token chunks (two threads, F16
         * cache) took 6.5 ms instead of 7.9, each decoded tile serving twice the query rows; 32
         * gained nothing more and leaves fewer units to share between threads.
         */
        static final int TOKENS = 16;
        /** Positions per tile: one vector of scores. */
        private static final int KT = F.length();
        /** Positions per step of the online softmax, a multiple of {@link #KT}. */
        static final int CHUNK = 256;

        float[] out;
        float[] q;
        CpuKvCache cache;
        MemorySegment keys;
        MemorySegment values;
        int startPos;
        int batch;
        int heads;
        int kvHeads;
        int headDim;
        int group;
        float scale;

        @Override
        public void run(int from, int to, int worker) {
            float[] tile = cache.valueRows[worker];
            if (tile.length < 2 * KT * headDim) tile = cache.valueRows[worker] = new float[2 * KT * headDim];
            float[] s = cache.scores[worker];
            int most = TOKENS * group;
            if (s.length < most * (CHUNK + 2) + KT) s = cache.scores[worker] = new float[most * (CHUNK + 2) + KT];
            // Per row, after the scores: the running maximum and sum of the online softmax; then
            // room for one vector's lanes.
            int maxes = most * CHUNK;
            int sums = maxes + most;
            int lanes = sums + most;
            for (int idx = from; idx < to; idx++) {
                int b0 = idx / kvHeads * TOKENS;
                int b1 = Math.min(batch, b0 + TOKENS);
                int kvHead = idx % kvHeads;
                int rows = (b1 - b0) * group;
                int last = startPos + b1 - 1;
                for (int r = 0; r < rows; r++) {
                    int o = rowOffset(r, b0, kvHead);
                    java.util.Arrays.fill(out, o, o + headDim, 0f);
                    s[maxes + r] = Float.NEGATIVE_INFINITY;
                    s[sums + r] = 0f;
                }
                // Positions in chunks, with a softmax that rescales what it has summed so far when
                // a later chunk raises a row's maximum (flash attention's online softmax): the
                // scores of a chunk stay in L2 however long the context.
                for (int c0 = 0; c0 <= last; c0 += CHUNK) {
                    int c1 = Math.min(last + 1, c0 + CHUNK);
                    scores(s, tile, b0, b1, kvHead, c0, c1);
                    for (int r = firstRow(c0, b0); r < rows; r++) {
                        int n = Math.min(c1, startPos + b0 + r / group + 1) - c0;
                        fold(s, r * CHUNK, n, maxes + r, sums + r, lanes, rowOffset(r, b0, kvHead));
                    }
                    weightedValues(s, tile, b0, b1, kvHead, c0, c1);
                }
                for (int r = 0; r < rows; r++) {
                    int o = rowOffset(r, b0, kvHead);
                    scaleRow(o, 1f / s[sums + r]);
                }
            }
        }

        /**
         * Turns a row's {@code n} scores at {@code s[o..]} into weights relative to the running
         * maximum, rescaling the row's output and sum so far when the maximum grows. The sum's
         * lanes go through {@code s[lanesAt..]}: C2 ran out of inlining budget
         * (NodeCountInliningCutoff) before a final {@code FixedOrderSum.of(vector)}, which then took
         * a boxed vector on every call.
         */
        private void fold(float[] s, int o, int n, int maxAt, int sumAt, int lanesAt, int outRow) {
            int upper = F.loopBound(n);
            FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int t = 0;
            for (; t < upper; t += F.length()) vmax = vmax.max(FloatVector.fromArray(F, s, o + t));
            float max = Math.max(s[maxAt], vmax.reduceLanes(VectorOperators.MAX));
            for (; t < n; t++) max = Math.max(max, s[o + t]);
            // Without a branch: 0 for the first chunk, 1 (which changes nothing) when the maximum
            // stays. A branch taken on every call until the context passes one chunk made C2 drop
            // its compiled code there, and the Vector API ran boxed until it recompiled.
            float shrink = (float) Math.exp(s[maxAt] - max);
            s[sumAt] *= shrink;
            scaleRow(outRow, shrink);
            s[maxAt] = max;
            FloatVector vsum = FloatVector.zero(F);
            for (t = 0; t < upper; t += F.length()) {
                FloatVector e = LanewiseExp.of(FloatVector.fromArray(F, s, o + t).sub(max));
                e.intoArray(s, o + t);
                vsum = vsum.add(e);
            }
            vsum.intoArray(s, lanesAt);
            float sum = FixedOrderSum.ofStored(s, lanesAt, KT);
            for (; t < n; t++) {
                float e = (float) Math.exp(s[o + t] - max);
                s[o + t] = e;
                sum += e;
            }
            s[sumAt] += sum;
        }

        private void scaleRow(int o, float factor) {
            int c = 0;
            for (int upper = F.loopBound(headDim); c < upper; c += F.length()) {
                FloatVector.fromArray(F, out, o + c).mul(factor).intoArray(out, o + c);
            }
            for (; c < headDim; c++) out[o + c] *= factor;
        }

        /** The first query row of the block that sees position {@code t0}: token b sees up to startPos + b. */
        private int firstRow(int t0, int b0) {
            return Math.max(0, t0 - startPos - b0) * group;
        }

        /** Offset in {@code q} and {@code out} of query row {@code r} of the block starting at token b0. */
        private int rowOffset(int r, int b0, int kvHead) {
            int b = b0 + r / group;
            return (b * heads + kvHead * group + r % group) * headDim;
        }

        /** Scaled scores of positions {@code [c0, c1)} for the block's rows, at {@code s[r * CHUNK + t - c0]}. */
        private void scores(float[] s, float[] tile, int b0, int b1, int kvHead, int c0, int c1) {
            int rows = (b1 - b0) * group;
            int kt = KT * headDim; // the transposed tile follows the row-major one
            TensorFormat format = cache.format;
            // `t0 < c1`, not `t0 <= c1 - 1`: C2's loop-limit check on the latter failed the first time
            // the context passed one chunk, dropping the compiled attention (a 130–180 ms token).
            for (int t0 = c0; t0 < c1; t0 += KT) {
                int n = Math.min(KT, c1 - t0);
                for (int j = 0; j < n; j++) format.dequantizeFast(keys, cache.offset(t0 + j, kvHead), tile, j * headDim, headDim);
                for (int d = 0; d < headDim; d++) {
                    int o = kt + d * KT;
                    for (int j = 0; j < n; j++) tile[o + j] = tile[j * headDim + d];
                    for (int j = n; j < KT; j++) tile[o + j] = 0f;
                }
                int r = firstRow(t0, b0);
                for (; r + 4 <= rows; r += 4) {
                    int q0 = rowOffset(r, b0, kvHead), q1 = rowOffset(r + 1, b0, kvHead);
                    int q2 = rowOffset(r + 2, b0, kvHead), q3 = rowOffset(r + 3, b0, kvHead);
                    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
                    for (int d = 0; d < headDim; d++) {
                        FloatVector k = FloatVector.fromArray(F, tile, kt + d * KT);
                        a0 = FloatVector.broadcast(F, q[q0 + d]).fma(k, a0);
                        a1 = FloatVector.broadcast(F, q[q1 + d]).fma(k, a1);
                        a2 = FloatVector.broadcast(F, q[q2 + d]).fma(k, a2);
                        a3 = FloatVector.broadcast(F, q[q3 + d]).fma(k, a3);
                    }
                    a0.mul(scale).intoArray(s, r * CHUNK + t0 - c0);
                    a1.mul(scale).intoArray(s, (r + 1) * CHUNK + t0 - c0);
                    a2.mul(scale).intoArray(s, (r + 2) * CHUNK + t0 - c0);
                    a3.mul(scale).intoArray(s, (r + 3) * CHUNK + t0 - c0);
                }
                for (; r < rows; r++) {
                    int q0 = rowOffset(r, b0, kvHead);
                    // Two chains over alternate dimensions, so that one row does not wait on fma latency.
                    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
                    int d = 0;
                    for (; d + 2 <= headDim; d += 2) {
                        a0 = FloatVector.broadcast(F, q[q0 + d]).fma(FloatVector.fromArray(F, tile, kt + d * KT), a0);
                        a1 = FloatVector.broadcast(F, q[q0 + d + 1]).fma(FloatVector.fromArray(F, tile, kt + (d + 1) * KT), a1);
                    }
                    if (d < headDim) a0 = FloatVector.broadcast(F, q[q0 + d]).fma(FloatVector.fromArray(F, tile, kt + d * KT), a0);
                    a0.add(a1).mul(scale).intoArray(s, r * CHUNK + t0 - c0);
                }
            }
        }

        /** Adds the weighted values of positions {@code [c0, c1)} to the block's output rows. */
        private void weightedValues(float[] s, float[] tile, int b0, int b1, int kvHead, int c0, int c1) {
            int rows = (b1 - b0) * group;
            TensorFormat format = cache.format;
            int lanes = F.length();
            int wide = headDim / (4 * lanes) * (4 * lanes);
            int vectors = headDim / lanes * lanes;
            for (int t0 = c0; t0 < c1; t0 += KT) {
                int n = Math.min(KT, c1 - t0);
                for (int j = 0; j < n; j++) format.dequantizeFast(values, cache.offset(t0 + j, kvHead), tile, j * headDim, headDim);
                for (int r = firstRow(t0, b0); r < rows; r++) {
                    int o = rowOffset(r, b0, kvHead);
                    int visible = Math.min(n, startPos + b0 + r / group - t0 + 1);
                    int p = r * CHUNK + t0 - c0;
                    int c = 0;
                    for (; c < wide; c += 4 * lanes) {
                        FloatVector a0 = FloatVector.fromArray(F, out, o + c);
                        FloatVector a1 = FloatVector.fromArray(F, out, o + c + lanes);
                        FloatVector a2 = FloatVector.fromArray(F, out, o + c + 2 * lanes);
                        FloatVector a3 = FloatVector.fromArray(F, out, o + c + 3 * lanes);
                        for (int j = 0; j < visible; j++) {
                            FloatVector w = FloatVector.broadcast(F, s[p + j]);
                            int v = j * headDim + c;
                            a0 = w.fma(FloatVector.fromArray(F, tile, v), a0);
                            a1 = w.fma(FloatVector.fromArray(F, tile, v + lanes), a1);
                            a2 = w.fma(FloatVector.fromArray(F, tile, v + 2 * lanes), a2);
                            a3 = w.fma(FloatVector.fromArray(F, tile, v + 3 * lanes), a3);
                        }
                        a0.intoArray(out, o + c);
                        a1.intoArray(out, o + c + lanes);
                        a2.intoArray(out, o + c + 2 * lanes);
                        a3.intoArray(out, o + c + 3 * lanes);
                    }
                    for (; c < vectors; c += lanes) {
                        FloatVector a = FloatVector.fromArray(F, out, o + c);
                        for (int j = 0; j < visible; j++) {
                            a = FloatVector.broadcast(F, s[p + j]).fma(FloatVector.fromArray(F, tile, j * headDim + c), a);
                        }
                        a.intoArray(out, o + c);
                    }
                    for (; c < headDim; c++) {
                        float sum = out[o + c];
                        for (int j = 0; j < visible; j++) sum += s[p + j] * tile[j * headDim + c];
                        out[o + c] = sum;
                    }
                }
            }
        }

    }

    @Override
    public void close() {
        pool.close();
    }
}
