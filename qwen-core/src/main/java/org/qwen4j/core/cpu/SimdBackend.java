package org.qwen4j.core.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.qwen4j.KvCacheType;
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

    public SimdBackend(int threads) {
        this.pool = new WorkerPool(threads, "qwen4j-cpu");
        this.gemm = new GemmJob(threads);
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
        int units = job.prepare(weights, outs, count, x, batch);
        if (job == gemm) gemm.transpose();
        try {
            pool.run(units, 4, job);
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
            float ss = acc.reduceLanes(VectorOperators.ADD);
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
        // The vector exponential is the JDK's SVML-derived kernel (within an ulp or two of
        // Math.exp); a scalar Math.exp per value cost a twentieth of a prompt's time.
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP);
            g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public KvCache newKvCache(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type) {
        return new CpuKvCache(layers, contextLength, kvHeads, headDim, type, pool.threads());
    }

    @Override
    public long attentionScratchBytes(int contextLength, int heads, int kvHeads, int headDim) {
        return (long) threads() * ((long) AttentionJob.TOKENS * (heads / kvHeads) * contextLength + headDim) * Float.BYTES;
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
     * Causal attention of one (block of up to {@link #TOKENS} tokens, KV head) pair per index. Each
     * cached key and value row is decoded once and used by every query that may see it: all the
     * block's tokens and, for grouped-query attention, every query head that shares the KV head.
     */
    private static final class AttentionJob implements WorkerPool.RangeTask {
        /** Tokens of a prompt that share the decoding of the cached rows. */
        static final int TOKENS = 8;

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
            int ctx = cache.contextLength;
            float[] row = cache.valueRows[worker];
            TensorFormat format = cache.format;
            for (int idx = from; idx < to; idx++) {
                int b0 = idx / kvHeads * TOKENS;
                int b1 = Math.min(batch, b0 + TOKENS);
                int kvHead = idx % kvHeads;
                int last = startPos + b1 - 1;
                int rows = (b1 - b0) * group;
                float[] s = cache.scores[worker];
                if (s.length < rows * ctx) s = cache.scores[worker] = new float[rows * ctx];
                for (int t = 0; t <= last; t++) {
                    format.dequantizeFast(keys, cache.offset(t, kvHead), row, 0, headDim);
                    // Token b sits at position startPos + b and sees keys up to it.
                    for (int b = Math.max(b0, t - startPos); b < b1; b++) {
                        int q0 = (b * heads + kvHead * group) * headDim;
                        int s0 = (b - b0) * group * ctx + t;
                        for (int g = 0; g < group; g++) {
                            s[s0 + g * ctx] = dot(q, q0 + g * headDim, row, headDim) * scale;
                        }
                    }
                }
                for (int b = b0; b < b1; b++) {
                    int q0 = (b * heads + kvHead * group) * headDim;
                    java.util.Arrays.fill(out, q0, q0 + group * headDim, 0f);
                    for (int g = 0; g < group; g++) softmax(s, ((b - b0) * group + g) * ctx, startPos + b + 1);
                }
                for (int t = 0; t <= last; t++) {
                    format.dequantizeFast(values, cache.offset(t, kvHead), row, 0, headDim);
                    for (int b = Math.max(b0, t - startPos); b < b1; b++) {
                        int q0 = (b * heads + kvHead * group) * headDim;
                        int s0 = (b - b0) * group * ctx + t;
                        for (int g = 0; g < group; g++) axpy(out, q0 + g * headDim, row, s[s0 + g * ctx], headDim);
                    }
                }
            }
        }

        /** Normalises {@code s[o..o+n)} into probabilities in place. */
        private static void softmax(float[] s, int o, int n) {
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < n; t++) max = Math.max(max, s[o + t]);
            float sum = 0;
            for (int t = 0; t < n; t++) {
                float e = (float) Math.exp(s[o + t] - max);
                s[o + t] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int t = 0; t < n; t++) s[o + t] *= inv;
        }

        private static float dot(float[] a, int ao, float[] b, int n) {
            int i = 0;
            FloatVector acc = FloatVector.zero(F);
            for (int upper = F.loopBound(n); i < upper; i += F.length()) {
                acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, i), acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) sum += a[ao + i] * b[i];
            return sum;
        }

        private static void axpy(float[] y, int yo, float[] x, float a, int n) {
            int i = 0;
            FloatVector va = FloatVector.broadcast(F, a);
            for (int upper = F.loopBound(n); i < upper; i += F.length()) {
                FloatVector.fromArray(F, x, i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
            for (; i < n; i++) y[yo + i] += a * x[i];
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
