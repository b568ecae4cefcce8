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
    /** Top-p's first guess at how many of the best tokens it needs, and where it stops guessing and sorts. */
    private static final int FIRST_WINDOW = 64;
    private static final int LARGEST_WINDOW = 4096;
    private int[] order = new int[0];
    private double[] probs = new double[0];
    /** The quicksort's pending ranges: its smaller side first keeps it under 2·log2(n) entries. */
    private final int[] stack = new int[128];

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
        if (topK > 0 && topK < vocab) return drawFrom(logits, bestInWindow(logits, vocab, topK), true);
        float max = logits[0];
        for (int i = 1; i < vocab; i++) max = Math.max(max, logits[i]);
        if (topP < 1) return drawFrom(logits, topPCandidates(logits, vocab, max), false);
        if (minP > 0) return drawFrom(logits, minPCandidates(logits, vocab, max), true);
        // Temperature alone keeps every token, and a draw does not need them in any order.
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            probs[i] = Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        return draw(vocab, sum);
    }

    /**
     * Applies top-p (when {@code topPPending}; relative to these candidates' own mass), min-p and
     * temperature to the {@code n} candidates in {@code order}, best first, and draws one.
     */
    private int drawFrom(float[] logits, int n, boolean topPPending) {
        double max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(logits[order[i]] - max);
            sum += probs[i];
        }
        if (topPPending && topP < 1) n = topPCount(n, sum);
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
        return order[draw(n, sum)];
    }

    /** A position in {@code [0, n)} drawn with the weights {@code probs[0, n)}, which sum to {@code sum}. */
    private int draw(int n, double sum) {
        double r = random.nextDouble() * sum;
        for (int i = 0; i < n; i++) {
            r -= probs[i];
            if (r <= 0) return i;
        }
        return n - 1;
    }

    /** How many of the first {@code n} of {@code probs} (sorted, summing to {@code sum}) top-p keeps. */
    private int topPCount(int n, double sum) {
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += probs[i] / sum;
            if (cumulative >= topP) return i + 1;
        }
        return n;
    }

    /**
     * The smallest set of best tokens whose probability over the whole vocabulary reaches top-p,
     * in {@code order}, best first; returns how many. Sorting the whole vocabulary to find them
     * cost ~20 ms a token at 152k tokens; the best few are found in one pass, and the window
     * grows only when they do not reach p (a flat distribution ends in a full sort, as before).
     */
    private int topPCandidates(float[] logits, int vocab, float max) {
        double total = 0;
        for (int i = 0; i < vocab; i++) total += Math.exp(logits[i] - max);
        for (int window = FIRST_WINDOW; ; window *= 8) {
            int n;
            if (window < LARGEST_WINDOW && window < vocab) {
                n = bestInWindow(logits, vocab, window);
            } else {
                for (int i = 0; i < vocab; i++) order[i] = i;
                sortByLogit(logits, 0, vocab);
                n = vocab;
            }
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += Math.exp(logits[order[i]] - max) / total;
                if (cumulative >= topP) return i + 1;
            }
            if (n == vocab) return n;
        }
    }

    /** The tokens min-p keeps (probability at least {@code minP} times the best's), best first; returns how many. */
    private int minPCandidates(float[] logits, int vocab, float max) {
        double floor = max + Math.log(minP);
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] >= floor) order[n++] = i;
        }
        sortByLogit(logits, 0, n);
        return n;
    }

    /** Fills {@code order} with the {@code k} best ids, best first (ties: lower id first); returns how many. */
    private int bestInWindow(float[] logits, int vocab, int k) {
        // a sorted window of the k best seen so far; most tokens fail the first comparison
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
