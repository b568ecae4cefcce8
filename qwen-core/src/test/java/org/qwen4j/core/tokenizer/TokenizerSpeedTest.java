package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;

/**
 * Guards against slow paths: building the full Qwen vocabulary, encoding prose, and words long
 * enough that a quadratic merge loop would show. The limits are loose (shared machines are noisy);
 * the measured figures are printed.
 */
class TokenizerSpeedTest {

    @Test
    void fullQwenVocabularyBuildsInWellUnderASecond() {
        Metadata metadata;
        try (ModelSource source = new GgufModelFormat().open(TokenizerFixtures.path(TokenizerFixtures.QWEN2_VOCAB))) {
            metadata = source.metadata();
        }
        GgufTokenizerProvider provider = new GgufTokenizerProvider();
        long first = 0;
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            GgufTokenizer t = provider.create(metadata.file(), metadata);
            long took = System.nanoTime() - t0;
            assertEquals(151_936, t.vocabularySize());
            if (i == 0) first = took;
            best = Math.min(best, took);
        }
        System.out.printf("tokenizer build, 151,936 tokens + 151,387 merges: first %.0f ms, best of 5 %.0f ms%n",
                first / 1e6, best / 1e6);
        assertTrue(best < 1_000_000_000L, "best build took " + best / 1e6 + " ms");
    }

    @Test
    void encodesTextQuickly() {
        GgufTokenizer shared = TokenizerFixtures.tokenizer(TokenizerFixtures.QWEN2_VOCAB);
        shared.encode(randomText(shared, 1 << 18, 7), true); // JIT warm-up on other words

        // Varied text (random vocabulary pieces: few words repeat, so the word cache rarely helps)
        // and repetitive text (llama.cpp's test texts over and over: nearly every word is cached)
        // bracket what real text costs.
        String varied = randomText(shared, 1 << 19, 42);
        StringBuilder sb = new StringBuilder();
        List<String> texts = TokenizerFixtures.vocabTestTexts(TokenizerFixtures.QWEN2_VOCAB + ".inp");
        for (int i = 0; sb.length() < 1 << 19; i++) sb.append(texts.get(i % texts.size())).append('\n');
        String repetitive = sb.toString();

        for (String[] c : new String[][] {{"varied", varied}, {"repetitive", repetitive}}) {
            String text = c[1];
            double megabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
            // A fresh tokenizer has an empty word cache: its first pass runs the merge loop on every new word.
            GgufTokenizer t = TokenizerFixtures.tokenizerWithoutCache(TokenizerFixtures.QWEN2_VOCAB);
            long t0 = System.nanoTime();
            int[] ids = t.encode(text, true);
            long first = System.nanoTime() - t0;
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                t0 = System.nanoTime();
                ids = t.encode(text, true);
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("encode %s text, %.2f MB, %d tokens: first pass %.0f ms = %.1f MB/s; best of 5 %.0f ms = %.1f MB/s, %.1f M tokens/s%n",
                    c[0], megabytes, ids.length, first / 1e6, megabytes / (first / 1e9), best / 1e6,
                    megabytes / (best / 1e9), ids.length / (best / 1e9) / 1e6);
            assertEquals(text, t.decode(ids));
            assertTrue(first < 5_000_000_000L, "encoding took " + first / 1e6 + " ms");
        }
    }

    /** About {@code chars} characters of varied text: random ordinary vocabulary pieces, decoded. */
    private static String randomText(GgufTokenizer t, int chars, long seed) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 64);
        int[] one = new int[1];
        while (sb.length() < chars) {
            one[0] = random.nextInt(151_643); // the ordinary pieces precede the control tokens
            String piece = t.decode(one);
            if (!piece.contains("\uFFFD")) sb.append(piece); // skip pieces that are part of a character
        }
        return sb.toString();
    }

    @Test
    void longWordsMergeWithoutQuadraticCost() {
        GgufTokenizer t = TokenizerFixtures.tokenizer(TokenizerFixtures.QWEN2_VOCAB);
        String letters = "a".repeat(200_000);
        String spaces = " ".repeat(200_000);
        t.encode("warm-up " + letters.substring(0, 1000));
        long t0 = System.nanoTime();
        int[] a = t.encode(letters);
        int[] s = t.encode(spaces);
        long took = System.nanoTime() - t0;
        System.out.printf("two 200,000-character words: %.0f ms%n", took / 1e6);
        assertEquals(letters, t.decode(a));
        assertEquals(spaces, t.decode(s));
        assertArrayEquals(t.encode(letters), a);
        assertTrue(took < 5_000_000_000L, "took " + took / 1e6 + " ms");
    }
}
