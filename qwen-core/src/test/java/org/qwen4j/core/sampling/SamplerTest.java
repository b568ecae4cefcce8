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

    /**
     * A vocabulary larger than top-p's largest window, with {@code peaked} tokens well above a
     * normally distributed rest; the peaks spread by {@code spread}.
     */
    private static float[] largeVocabulary(int peaked, float spread, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] logits = new float[20_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
        for (int j = 0; j < peaked; j++) logits[random.nextInt(logits.length)] = 12f + spread * (float) random.nextGaussian();
        return logits;
    }

    /** The ids top-p keeps by the definition: sort everything, keep the smallest prefix reaching p. */
    private static java.util.Set<Integer> topPByDefinition(float[] logits, double p) {
        Integer[] ids = new Integer[logits.length];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        java.util.Arrays.sort(ids, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
        double max = logits[ids[0]];
        double total = 0;
        for (float l : logits) total += Math.exp(l - max);
        java.util.Set<Integer> kept = new java.util.HashSet<>();
        double cumulative = 0;
        for (Integer id : ids) {
            kept.add(id);
            cumulative += Math.exp(logits[id] - max) / total;
            if (cumulative >= p) break;
        }
        return kept;
    }

    private static void assertDrawsCoverExactly(java.util.Set<Integer> expected, GenerationOptions options, float[] logits) {
        Sampler s = Sampler.of(options, 5);
        java.util.Set<Integer> drawn = new java.util.HashSet<>();
        for (int i = 0; i < 4000; i++) {
            int t = s.sample(logits.clone(), logits.length);
            assertTrue(expected.contains(t), "drew " + t + ", outside the " + expected.size() + " kept");
            drawn.add(t);
        }
        assertEquals(expected, drawn, "every kept token is drawn in 4000 tries");
    }

    @Test
    void topPWithoutTopKKeepsTheSmallestSetReachingPOverTheWholeVocabulary() {
        float[] logits = largeVocabulary(6, 1f, 1);
        assertDrawsCoverExactly(topPByDefinition(logits, 0.6), GenerationOptions.sampling(1.0).topP(0.6), logits);
    }

    @Test
    void topPReachesPastItsFirstGuessWhenTheBestTokensDoNotSufficeAlone() {
        // 300 equal peaks share the mass: top-p 0.5 needs about 150 of them, more than its first window
        float[] logits = largeVocabulary(300, 0f, 2);
        java.util.Set<Integer> expected = topPByDefinition(logits, 0.5);
        assertTrue(expected.size() > 100, "the set has " + expected.size());
        assertDrawsCoverExactly(expected, GenerationOptions.sampling(1.0).topP(0.5), logits);
    }

    @Test
    void minPWithoutTopKKeepsTokensWithinTheFactorOfTheBest() {
        float[] logits = largeVocabulary(8, 1f, 3);
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        java.util.Set<Integer> expected = new java.util.HashSet<>();
        for (int i = 0; i < logits.length; i++) if (Math.exp(logits[i] - max) >= 0.3) expected.add(i);
        assertDrawsCoverExactly(expected, GenerationOptions.sampling(1.0).minP(0.3), logits);
    }

    @Test
    void temperatureAloneOnALargeVocabularyFollowsTheSoftmax() {
        float[] logits = new float[20_000];
        logits[7_000] = (float) Math.log(logits.length - 1); // half the mass
        Sampler s = Sampler.of(GenerationOptions.sampling(1.0), 11);
        int hits = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) if (s.sample(logits.clone(), logits.length) == 7_000) hits++;
        assertEquals(0.5, hits / (double) n, 0.025); // three standard deviations
    }
}
