package org.qwen4j.core.cpu;

import org.qwen4j.KvCacheType;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.Rope;
import org.qwen4j.spi.Tensor;

/**
 * Plain, single-threaded Java: the simplest code that computes each operation, used as the
 * in-process oracle that the fast backends are tested against. Weights are dequantized row by row
 * with the formats' scalar reference decoders.
 */
public final class ReferenceBackend implements Backend {
    public static final String NAME = "cpu-reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void embed(Tensor table, int[] tokens, int offset, int count, float[] out) {
        int dim = table.columns();
        for (int b = 0; b < count; b++) {
            int id = tokens[offset + b];
            table.format().dequantize(table.data(), id * table.rowBytes(), out, b * dim, dim);
        }
    }

    @Override
    public void matmul(Tensor w, float[] x, float[] out, int batch) {
        int rows = w.rows();
        int cols = w.columns();
        long rowBytes = w.rowBytes();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.format().dequantize(w.data(), r * rowBytes, row, 0, cols);
            for (int b = 0; b < batch; b++) {
                float sum = 0;
                for (int c = 0; c < cols; c++) sum += row[c] * x[b * cols + c];
                out[b * rows + r] = sum;
            }
        }
    }

    @Override
    public void addBias(float[] x, float[] bias, int batch) {
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < bias.length; i++) x[b * bias.length + i] += bias[i];
        }
    }

    @Override
    public void add(float[] x, float[] delta, int n) {
        for (int i = 0; i < n; i++) x[i] += delta[i];
    }

    @Override
    public void rmsnorm(float[] out, float[] x, float[] weight, int batch, int dim, float epsilon) {
        for (int b = 0; b < batch; b++) {
            int o = b * dim;
            float ss = 0;
            for (int i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
            float scale = (float) (1.0 / Math.sqrt(ss / dim + epsilon));
            for (int i = 0; i < dim; i++) out[o + i] = x[o + i] * scale * weight[i];
        }
    }

    @Override
    public void rope(float[] x, int batch, int heads, int headDim, int startPos, Rope rope) {
        int half = headDim / 2;
        for (int b = 0; b < batch; b++) {
            int pos = startPos + b;
            for (int h = 0; h < heads; h++) {
                int o = (b * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    double angle = pos * rope.inverseFrequencies()[i];
                    float cos = (float) Math.cos(angle) * rope.magnitude();
                    float sin = (float) Math.sin(angle) * rope.magnitude();
                    float x0 = x[o + i];
                    float x1 = x[o + i + half];
                    x[o + i] = x0 * cos - x1 * sin;
                    x[o + i + half] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public KvCache newKvCache(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type) {
        // One score per position and one decoded row: the plain loops below need no more.
        return new CpuKvCache(layers, contextLength, kvHeads, headDim, type, 1, contextLength, headDim);
    }

    @Override
    public void attention(float[] out, float[] q, float[] k, float[] v, KvCache cache, int layer, int batch,
                          int startPos, int heads, int kvHeads, int headDim) {
        CpuKvCache kv = (CpuKvCache) cache;
        kv.store(layer, startPos, k, v, batch);
        float[] scores = kv.scores[0];
        float[] row = kv.valueRows[0];
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int b = 0; b < batch; b++) {
            int last = startPos + b;
            for (int h = 0; h < heads; h++) {
                int qo = (b * heads + h) * headDim;
                int kvHead = h / group;
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t <= last; t++) {
                    kv.format.dequantize(kv.keys[layer], kv.offset(t, kvHead), row, 0, headDim);
                    float s = 0;
                    for (int i = 0; i < headDim; i++) s += q[qo + i] * row[i];
                    scores[t] = s * scale;
                    max = Math.max(max, scores[t]);
                }
                float sum = 0;
                for (int t = 0; t <= last; t++) {
                    scores[t] = (float) Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int i = 0; i < headDim; i++) out[qo + i] = 0;
                for (int t = 0; t <= last; t++) {
                    float p = scores[t] / sum;
                    kv.format.dequantize(kv.values[layer], kv.offset(t, kvHead), row, 0, headDim);
                    for (int i = 0; i < headDim; i++) out[qo + i] += p * row[i];
                }
            }
        }
    }

    @Override
    public void close() {
        // nothing held: no threads, caches belong to their sessions
    }
}
