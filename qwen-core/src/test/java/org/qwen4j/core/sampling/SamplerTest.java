package org.qwen4j.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.qwen4j.GenerationOptions;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 3.0f};

    private static int draw(GenerationOptions o, long seed) {
        return Sampler.of(o, seed).sample(LOGITS.clone(), LOGITS.length);
    }

    @Test
    void greedyPicksTheLargestLogitAndTheLowestIdOnATie() {
        assertEquals(1, new GreedySampler().sample(LOGITS.clone(), LOGITS.length));
    }

    @Test
    void topKOfOneAlwaysPicksTheBestToken() {
        for (long seed = 0; seed < 200; seed++) {
            assertEquals(1, draw(GenerationOptions.sampling(5.0).topK(1), seed));
        }
    }

    @Test
    void topKKeepsOnlyTheKBest() {
        for (long seed = 0; seed < 500; seed++) {
            int t = draw(GenerationOptions.sampling(10.0).topK(3), seed);
            assertTrue(t == 1 || t == 5 || t == 2, "drew " + t);
        }
    }

    @Test
    void tinyTopPKeepsOnlyTheMostLikelyToken() {
        for (long seed = 0; seed < 200; seed++) {
            assertEquals(1, draw(GenerationOptions.sampling(1.0).topP(0.01), seed));
        }
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        // p(token 0) / p(best) = e^-2 ≈ 0.135 < 0.2, so 0, 3 and 4 must never be drawn
        for (long seed = 0; seed < 500; seed++) {
            int t = draw(GenerationOptions.sampling(1.0).minP(0.2), seed);
            assertTrue(t == 1 || t == 2 || t == 5, "drew " + t);
        }
    }

    @Test
    void drawsFollowTheSoftmaxDistribution() {
        float[] logits = {0f, (float) Math.log(3)}; // probabilities 1/4 and 3/4
        Sampler s = Sampler.of(GenerationOptions.sampling(1.0), 99);
        int ones = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) ones += s.sample(logits.clone(), 2);
        assertEquals(0.75, ones / (double) n, 0.015);
    }

    @Test
    void theSameSeedDrawsTheSameSequence() {
        Sampler a = Sampler.of(GenerationOptions.sampling(2.0), 1234);
        Sampler b = Sampler.of(GenerationOptions.sampling(2.0), 1234);
        for (int i = 0; i < 100; i++) assertEquals(a.sample(LOGITS.clone(), 6), b.sample(LOGITS.clone(), 6));
    }

    @Test
    void repetitionPenaltyTurnsGreedyAwayFromARepeatedToken() {
        Sampler s = Sampler.of(GenerationOptions.greedy().repeatPenalty(2.0), 0);
        s.accept(1);
        s.accept(5);
        assertEquals(2, s.sample(LOGITS.clone(), LOGITS.length)); // 3.0/2 = 1.5 < 2.5
    }

    @Test
    void frequencyPenaltyGrowsWithOccurrences() {
        Sampler once = Sampler.of(GenerationOptions.greedy().frequencyPenalty(0.3), 0);
        once.accept(1);
        assertEquals(5, once.sample(LOGITS.clone(), LOGITS.length)); // 2.7 < 3.0
        Sampler thrice = Sampler.of(GenerationOptions.greedy().frequencyPenalty(0.3), 0);
        for (int i = 0; i < 3; i++) thrice.accept(5);
        thrice.accept(1);
        assertNotEquals(5, thrice.sample(LOGITS.clone(), LOGITS.length)); // 3.0 - 0.9 = 2.1
    }
}
