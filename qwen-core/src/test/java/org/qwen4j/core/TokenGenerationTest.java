package org.qwen4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qwen4j.Completion;
import org.qwen4j.FinishReason;
import org.qwen4j.GeneratedToken;
import org.qwen4j.GenerationOptions;
import org.qwen4j.KvCacheType;
import org.qwen4j.Tokenizer;
import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.core.tokenizer.GgufTokenizerProvider;

/** The decode loop's handling of thinking blocks, stop strings and end tokens, on scripted logits. */
class TokenGenerationTest {
    private static Tokenizer tok;

    @BeforeAll
    static void tokenizer() {
        try (var src = new GgufModelFormat().open(TestData.resolve("models/tiny-qwen3/tiny-qwen3-f32.gguf"))) {
            tok = new GgufTokenizerProvider().create(src);
        }
    }

    private static int[] ids(String text) {
        return tok.encode(text, true);
    }

    private static int[] concat(int[]... parts) {
        List<Integer> all = new ArrayList<>();
        for (int[] p : parts) for (int i : p) all.add(i);
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Completion run(int[] script, GenerationOptions options, List<GeneratedToken> events) {
        int[] prompt = ids("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
        ScriptedModel model = new ScriptedModel(tok.vocabularySize(), prompt.length, script);
        Sequence sequence = new Sequence(model, 256, KvCacheType.F32);
        TokenGeneration g = new TokenGeneration(sequence, tok, prompt, options, 1, null);
        return g.drain(events::add);
    }

    @Test
    void thinkingIsSeparatedFromTheAnswerAndStreamedAsThinking() {
        int[] script = concat(ids("<think>\nLet me see.\n</think>\n\nFour."), ids("<|im_end|>"));
        List<GeneratedToken> events = new ArrayList<>();
        Completion c = run(script, GenerationOptions.greedy().maxTokens(100), events);
        assertEquals("Let me see.", c.thinking());
        assertEquals("Four.", c.text());
        assertEquals(FinishReason.END_OF_GENERATION, c.finishReason());
        StringBuilder thought = new StringBuilder();
        StringBuilder answer = new StringBuilder();
        for (GeneratedToken t : events) (t.thinking() ? thought : answer).append(t.text());
        assertEquals("\nLet me see.\n", thought.toString());
        assertEquals("Four.", answer.toString());
    }

    @Test
    void withoutThinkTagsEverythingIsAnswerIncludingLeadingNewlines() {
        int[] script = concat(ids("\n\nSix."), ids("<|im_end|>"));
        Completion c = run(script, GenerationOptions.greedy().maxTokens(100), new ArrayList<>());
        assertEquals("\n\nSix.", c.text());
        assertEquals("", c.thinking());
    }

    @Test
    void anEndOfGenerationTokenIsNeitherEmittedNorCounted() {
        int[] script = concat(ids("Yes"), ids("<|im_end|>"));
        List<GeneratedToken> events = new ArrayList<>();
        Completion c = run(script, GenerationOptions.greedy().maxTokens(100), events);
        assertEquals(ids("Yes").length, c.ids().length);
        assertEquals(ids("Yes").length, events.size());
        assertTrue(events.stream().noneMatch(e -> e.text().contains("im_end")));
    }

    @Test
    void ignoreEosKeepsGoingUntilMaxTokens() {
        int[] script = concat(ids("Yes"), ids("<|im_end|>"));
        Completion c = run(script, GenerationOptions.greedy().maxTokens(10).ignoreEos(true), new ArrayList<>());
        assertEquals(10, c.ids().length);
        assertEquals(FinishReason.MAX_TOKENS, c.finishReason());
    }

    @Test
    void aStopStringSpanningTokensCutsTheTextAndStreamsOnlyWhatPrecedesIt() {
        int[] script = concat(ids("alpha beta gamma delta"), ids("<|im_end|>"));
        List<GeneratedToken> events = new ArrayList<>();
        Completion c = run(script, GenerationOptions.greedy().maxTokens(100).stopStrings(List.of("a gam")), events);
        assertEquals("alpha bet", c.text());
        assertEquals(FinishReason.STOP_STRING, c.finishReason());
    }
}
