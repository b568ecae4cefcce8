package org.qwen4j.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The router's arithmetic on hand-computed cases: softmax over every expert, the top-k by logit
 * (lower index on a tie), weights as they are or renormalised over the chosen experts, and each
 * expert's tokens listed in chunk order.
 */
class ExpertRoutingTest {

    private static ExpertRouting routed(float[] logits, int experts, int batch, int used, boolean normalize) {
        ExpertRouting r = new ExpertRouting(experts, 4, 2);
        System.arraycopy(logits, 0, r.logits, 0, logits.length);
        r.route(batch, used, normalize);
        return r;
    }

    @Test
    void weightsAreSoftmaxProbabilitiesOverAllExperts() {
        // exp(0), exp(ln 2), exp(ln 3), exp(ln 4) → probabilities 0.1, 0.2, 0.3, 0.4
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        ExpertRouting r = routed(logits, 4, 1, 2, false);
        assertEquals(0, r.tokens(0));
        assertEquals(0, r.tokens(1));
        assertEquals(1, r.tokens(2));
        assertEquals(1, r.tokens(3));
        assertEquals(0.3f, r.weight(2, 0), 1e-6f);
        assertEquals(0.4f, r.weight(3, 0), 1e-6f);
    }

    @Test
    void normalisedWeightsSumToOneOverTheChosenExperts() {
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        ExpertRouting r = routed(logits, 4, 1, 2, true);
        assertEquals(3f / 7, r.weight(2, 0), 1e-6f);
        assertEquals(4f / 7, r.weight(3, 0), 1e-6f);
    }

    @Test
    void aTieGoesToTheLowerIndexAndTokensKeepTheirOrder() {
        float[] logits = {
                1f, 1f, 0f,   // token 0: experts 0 and 1 tie; k = 1 picks 0
                0f, 2f, 1f,   // token 1: expert 1
                5f, 0f, 0f};  // token 2: expert 0
        ExpertRouting r = routed(logits, 3, 3, 1, true);
        assertEquals(2, r.tokens(0));
        assertEquals(0, r.token(0, 0));
        assertEquals(2, r.token(0, 1));
        assertEquals(1, r.tokens(1));
        assertEquals(1, r.token(1, 0));
        assertEquals(0, r.tokens(2));
        assertEquals(1f, r.weight(0, 0), 0f);
    }

    @Test
    void gatherAndScatterMoveWholeRows() {
        ExpertRouting r = new ExpertRouting(2, 4, 2);
        float[] logits = {0f, 1f, 1f, 0f, 0f, 1f};  // tokens 0 and 2 to expert 1, token 1 to expert 0
        System.arraycopy(logits, 0, r.logits, 0, logits.length);
        r.route(3, 1, false);
        float[] rows = {1, 2, 3, 4, 5, 6};
        float[] in = r.inputOf(1, rows, 3);
        assertEquals(5f, in[2]);
        assertEquals(6f, in[3]);
        float[] residual = new float[6];
        r.scatterAdd(1, new float[] {10, 20, 30, 40}, residual);
        float w = r.weight(1, 0);
        assertEquals(10 * w, residual[0], 1e-6f);
        assertEquals(0f, residual[2]);
        assertEquals(30 * r.weight(1, 1), residual[4], 1e-6f);
    }
}
