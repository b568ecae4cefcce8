package org.qwen4j.core.sampling;

import java.util.SplittableRandom;
import org.qwen4j.GenerationOptions;

/**
 * Random sampling through llama.cpp's default chain: top-k, top-p, min-p, then temperature, then a
 * draw from the remaining distribution with a seeded generator. Candidates are kept as index
 * arrays allocated once, so a step allocates nothing.
 */
public final class DistributionSampler implements Sampler {
    private final int topK;
    private final double topP;
    private final double minP;
    private final double temperature;
    private final SplittableRandom random;
    private int[] order = new int[0];
    private double[] probs = new double[0];

    public DistributionSampler(GenerationOptions options, long seed) {
        this.topK = options.topK();
        this.topP = options.topP();
        this.minP = options.minP();
        this.temperature = options.temperature();
        this.random = new SplittableRandom(seed);
    }

    @Override
    public int sample(float[] logits, int vocab) {
        if (order.length < vocab) {
            order = new int[vocab];
            probs = new double[vocab];
        }
        int n = candidates(logits, vocab);
        // softmax over the kept candidates (sorted by logit, best first)
        double max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(logits[order[i]] - max);
            sum += probs[i];
        }
        if (topP < 1) {
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= topP) {
                    n = i + 1;
                    break;
                }
            }
        }
        if (minP > 0) {
            double threshold = minP * probs[0];
            int kept = 1;
            while (kept < n && probs[kept] >= threshold) kept++;
            n = kept;
        }
        // temperature last: it reshapes, but does not reorder, what the filters kept
        sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp((logits[order[i]] - max) / temperature);
            sum += probs[i];
        }
        double r = random.nextDouble() * sum;
        for (int i = 0; i < n; i++) {
            r -= probs[i];
            if (r <= 0) return order[i];
        }
        return order[n - 1];
    }

    /** Fills {@code order} with the candidate ids, best first; returns how many. */
    private int candidates(float[] logits, int vocab) {
        int k = topK > 0 ? Math.min(topK, vocab) : vocab;
        if (k == vocab) {
            for (int i = 0; i < vocab; i++) order[i] = i;
            sortByLogit(logits, 0, vocab);
            return vocab;
        }
        // partial selection: keep a sorted window of the k best seen so far (k is small in practice)
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[i];
            if (size == k && v <= logits[order[k - 1]]) continue;
            int j = size < k ? size++ : k - 1;
            while (j > 0 && logits[order[j - 1]] < v) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        return size;
    }

    private void sortByLogit(float[] logits, int from, int to) {
        // iterative quicksort over indices, descending by logit, ties by lower id first
        int[] stack = new int[128];
        int sp = 0;
        stack[sp++] = from;
        stack[sp++] = to - 1;
        while (sp > 0) {
            int hi = stack[--sp];
            int lo = stack[--sp];
            while (lo < hi) {
                if (hi - lo < 16) {
                    insertion(logits, lo, hi);
                    break;
                }
                int p = partition(logits, lo, hi);
                if (p - lo < hi - p) {
                    stack[sp++] = p + 1;
                    stack[sp++] = hi;
                    hi = p - 1;
                } else {
                    stack[sp++] = lo;
                    stack[sp++] = p - 1;
                    lo = p + 1;
                }
            }
        }
    }

    private boolean before(float[] logits, int a, int b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    }

    private void insertion(float[] logits, int lo, int hi) {
        for (int i = lo + 1; i <= hi; i++) {
            int v = order[i];
            int j = i;
            while (j > lo && before(logits, v, order[j - 1])) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
    }

    private int partition(float[] logits, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        swap(mid, hi);
        int pivot = order[hi];
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (before(logits, order[i], pivot)) swap(i, store++);
        }
        swap(store, hi);
        return store;
    }

    private void swap(int a, int b) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
    }
}
