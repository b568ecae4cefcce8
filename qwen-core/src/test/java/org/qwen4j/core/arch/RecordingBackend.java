package org.qwen4j.core.arch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.qwen4j.KvCacheType;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.Rope;
import org.qwen4j.spi.Tensor;

/**
 * A backend that delegates every operation and records each matrix product it is asked for: which
 * weight tensor, over how many token rows, and a copy of those input rows. Tests read the record to
 * see which weights a forward pass touched.
 */
final class RecordingBackend implements Backend {

    /** One weight matrix read once over {@code batch} input rows. */
    record Product(Tensor weight, int batch, float[] input) {
        String name() {
            return weight.name();
        }
    }

    private final Backend delegate;
    private final List<Product> products = new ArrayList<>();

    RecordingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    /** The products since the last {@link #clear()}, in call order. */
    List<Product> products() {
        return List.copyOf(products);
    }

    void clear() {
        products.clear();
    }

    private void record(Tensor w, float[] x, int batch) {
        products.add(new Product(w, batch, Arrays.copyOf(x, batch * w.columns())));
    }

    @Override
    public String name() {
        return "recording " + delegate.name();
    }

    @Override
    public int threads() {
        return delegate.threads();
    }

    @Override
    public void embed(Tensor table, int[] tokens, int offset, int count, float[] out) {
        delegate.embed(table, tokens, offset, count, out);
    }

    @Override
    public void matmul(Tensor w, float[] x, float[] out, int batch) {
        record(w, x, batch);
        delegate.matmul(w, x, out, batch);
    }

    @Override
    public void matmul(Tensor[] weights, float[] x, float[][] outs, int batch) {
        for (Tensor w : weights) record(w, x, batch);
        delegate.matmul(weights, x, outs, batch);
    }

    @Override
    public void addBias(float[] x, float[] bias, int batch) {
        delegate.addBias(x, bias, batch);
    }

    @Override
    public void add(float[] x, float[] delta, int n) {
        delegate.add(x, delta, n);
    }

    @Override
    public void rmsnorm(float[] out, float[] x, float[] weight, int batch, int dim, float epsilon) {
        delegate.rmsnorm(out, x, weight, batch, dim, epsilon);
    }

    @Override
    public void rope(float[] x, int batch, int heads, int headDim, int startPos, Rope rope) {
        delegate.rope(x, batch, heads, headDim, startPos, rope);
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        delegate.swiglu(gate, up, n);
    }

    @Override
    public KvCache newKvCache(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type) {
        return delegate.newKvCache(layers, contextLength, kvHeads, headDim, type);
    }

    @Override
    public void attention(float[] out, float[] q, float[] k, float[] v, KvCache cache, int layer, int batch,
                          int startPos, int heads, int kvHeads, int headDim) {
        delegate.attention(out, q, k, v, cache, layer, batch, startPos, heads, kvHeads, headDim);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
