package org.qwen4j.core.cpu;

import org.qwen4j.spi.Tensor;

/**
 * One or more matrix products of the same input, run as one parallel job so that the products of
 * a layer that read the same activations (Q, K and V; gate and up) cost one hand-off to the
 * workers instead of one each. Job indices count work units (rows or row groups) across all the
 * products; {@code starts[i]} is the first unit of product {@code i}. The fields are set for each
 * call, which is why the backend serialises its operations.
 */
abstract class ProductJob implements WorkerPool.RangeTask {
    static final int MAX_PRODUCTS = 8;

    Tensor[] weights;
    float[][] outs;
    float[] x;
    int batch;
    int count;
    final int[] starts = new int[MAX_PRODUCTS + 1];

    /** Work units of one product. */
    abstract int units(Tensor w);

    /** Computes units {@code [from, to)} of product {@code p}, numbered from 0 within it. */
    abstract void run(int p, int from, int to, int worker);

    /** Sets up the job and returns the total number of units. */
    final int prepare(Tensor[] weights, float[][] outs, int count, float[] x, int batch, WorkerPool pool) {
        if (count > MAX_PRODUCTS) throw new IllegalArgumentException("at most " + MAX_PRODUCTS + " products per call");
        this.weights = weights;
        this.outs = outs;
        this.count = count;
        this.x = x;
        this.batch = batch;
        int total = 0;
        for (int i = 0; i < count; i++) {
            starts[i] = total;
            total += units(weights[i]);
        }
        starts[count] = total;
        prepared(pool);
        return total;
    }

    /**
     * Work shared by all units of a job, done once after its fields are set, before any unit runs:
     * on the calling thread, or spread over {@code pool} where it is large enough to pay for a hand-off.
     */
    void prepared(WorkerPool pool) {
    }

    /** Drops the references to the caller's arrays, so a job kept for reuse does not pin them. */
    void clear() {
        weights = null;
        outs = null;
        x = null;
    }

    @Override
    public final void run(int from, int to, int worker) {
        int p = 0;
        while (from < to) {
            while (from >= starts[p + 1]) p++;
            int end = Math.min(to, starts[p + 1]);
            run(p, from - starts[p], end - starts[p], worker);
            from = end;
        }
    }
}
