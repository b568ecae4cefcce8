package org.qwen4j.core.arch;

import java.util.Arrays;

/**
 * The routing of one chunk's tokens to experts, and the buffers a mixture-of-experts block works in.
 * After {@link #route}, expert {@code e} serves {@link #tokens(int) tokens(e)} of the chunk's tokens,
 * in increasing order, each with a weight. Allocated once per inference state, so routing a token
 * allocates nothing.
 */
final class ExpertRouting {
    private final int experts;
    private final int maxBatch;
    private final int hidden;
    /** Router output, {@code [maxBatch][experts]}, written by the block's router product. */
    final float[] logits;
    /** The shared-expert gate's logit per token, {@code [maxBatch]}. */
    final float[] sharedGateLogits;
    /** Output buffers of the router and the shared-expert gate, for their grouped product. */
    final float[][] gateOutputs;
    /** The input rows of one expert's tokens, gathered contiguously, {@code [maxBatch][hidden]}. */
    final float[] gathered;
    /** One expert's output rows, {@code [maxBatch][hidden]}. */
    final float[] expertOut;
    private final int[] count;
    private final int[] token;
    private final float[] weight;
    private final boolean[] chosen;
    private final int[] picks;

    /** Buffers for chunks of up to {@code maxBatch} tokens of width {@code hidden}, routed among {@code experts}. */
    ExpertRouting(int experts, int maxBatch, int hidden) {
        this.experts = experts;
        this.maxBatch = maxBatch;
        this.hidden = hidden;
        logits = new float[maxBatch * experts];
        sharedGateLogits = new float[maxBatch];
        gateOutputs = new float[][] {logits, sharedGateLogits};
        gathered = new float[maxBatch * hidden];
        expertOut = new float[maxBatch * hidden];
        count = new int[experts];
        token = new int[experts * maxBatch];
        weight = new float[experts * maxBatch];
        chosen = new boolean[experts];
        picks = new int[experts];
    }

    /** Bytes these buffers take for the given sizes, known before they are allocated. */
    static long bytes(int experts, int maxBatch, int hidden) {
        long floats = (long) maxBatch * experts * 2 + maxBatch + 2L * maxBatch * hidden;
        return floats * Float.BYTES + (long) experts * (Integer.BYTES * 2 + 1) + (long) experts * maxBatch * Integer.BYTES;
    }

    /**
     * Routes each of {@code batch} tokens to the {@code used} experts of highest router logit (the
     * lower index wins a tie). A token's weight for an expert is the expert's softmax probability over
     * all experts, or, when {@code normalize}, that probability divided by the sum over the chosen ones.
     */
    void route(int batch, int used, boolean normalize) {
        Arrays.fill(count, 0);
        for (int b = 0; b < batch; b++) {
            int row = b * experts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) max = Math.max(max, logits[row + e]);
            double all = 0;
            for (int e = 0; e < experts; e++) all += Math.exp(logits[row + e] - max);
            double picked = 0;
            for (int k = 0; k < used; k++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (!chosen[e] && (best < 0 || logits[row + e] > logits[row + best])) best = e;
                }
                chosen[best] = true;
                picks[k] = best;
                picked += Math.exp(logits[row + best] - max);
            }
            double denominator = normalize ? picked : all;
            for (int k = 0; k < used; k++) {
                int e = picks[k];
                chosen[e] = false;
                int slot = e * maxBatch + count[e]++;
                token[slot] = b;
                weight[slot] = (float) (Math.exp(logits[row + e] - max) / denominator);
            }
        }
    }

    /** The experts routed among. */
    int experts() {
        return experts;
    }

    /** How many of the chunk's tokens expert {@code e} serves; 0 means its weights need not be read. */
    int tokens(int e) {
        return count[e];
    }

    /** The chunk row of expert {@code e}'s {@code i}-th token. */
    int token(int e, int i) {
        return token[e * maxBatch + i];
    }

    /** The routing weight of expert {@code e}'s {@code i}-th token. */
    float weight(int e, int i) {
        return weight[e * maxBatch + i];
    }

    /**
     * The input rows of expert {@code e}'s tokens, contiguous: {@code rows} itself when the expert
     * serves every token of a {@code batch}-token chunk (always so for a single-token decode step),
     * else a copy gathered into {@link #gathered}.
     */
    float[] inputOf(int e, float[] rows, int batch) {
        int n = count[e];
        if (n == batch) return rows;
        for (int i = 0; i < n; i++) System.arraycopy(rows, token(e, i) * hidden, gathered, i * hidden, hidden);
        return gathered;
    }

    /** {@code residual[token] += weight · out[i]} for each of expert {@code e}'s tokens, {@code out} being its output rows. */
    void scatterAdd(int e, float[] out, float[] residual) {
        for (int i = 0, n = count[e]; i < n; i++) {
            addScaled(residual, token(e, i) * hidden, out, i * hidden, weight(e, i), hidden);
        }
    }

    /** {@code y[yo..yo+n) += a · x[xo..xo+n)}. */
    static void addScaled(float[] y, int yo, float[] x, int xo, float a, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
    }
}
