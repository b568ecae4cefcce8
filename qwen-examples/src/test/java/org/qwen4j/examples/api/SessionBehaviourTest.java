package org.qwen4j.examples.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qwen4j.Completion;
import org.qwen4j.ContextOverflowException;
import org.qwen4j.FinishReason;
import org.qwen4j.GeneratedToken;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Model;
import org.qwen4j.Role;
import org.qwen4j.Session;
import org.qwen4j.SessionClosedException;

/** What the public API promises about sessions, generators and sampling, on the tiny fixture model. */
class SessionBehaviourTest {
    private static Model model;

    static Path fixture(String name) {
        String prop = System.getProperty("qwen4j.testdata");
        Path root = prop != null ? Path.of(prop) : Path.of("../testdata");
        return root.resolve("models/tiny-qwen2/" + name);
    }

    @BeforeAll
    static void load() {
        model = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(2).contextLength(256).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aSecondTurnEvaluatesOnlyItsNewTokens() {
        try (Session chat = model.newSession(GenerationOptions.greedy().maxTokens(8))) {
            chat.system("You are terse.");
            Completion first = chat.ask("Hello there").completion();
            int afterFirst = chat.position();
            Completion second = chat.ask("And again").completion();
            assertTrue(second.usage().promptTokens() < second.promptIds().length / 2,
                    "second turn evaluated " + second.usage().promptTokens() + " of " + second.promptIds().length);
            assertTrue(chat.position() > afterFirst);
            assertEquals(List.of(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT),
                    chat.history().stream().map(m -> m.role()).toList());
            assertEquals(first.text(), chat.history().get(2).content());
        }
    }

    @Test
    void aReusedCacheGivesTheSameAnswerAsAFreshSession() {
        GenerationOptions greedy = GenerationOptions.greedy().maxTokens(8);
        String second;
        try (Session chat = model.newSession(greedy)) {
            chat.ask("Hello there").text();
            second = chat.ask("And again").text();
        }
        try (Session a = model.newSession(greedy); Session b = model.newSession(greedy)) {
            String firstAnswer = a.ask("Hello there").text();
            // b replays the same conversation turn by turn without having generated it
            b.ask("Hello there").text();
            assertEquals(second, b.ask("And again").text());
            assertFalse(firstAnswer.isEmpty() && second.isEmpty());
        }
    }

    @Test
    void streamingYieldsTheSameTextAsBlocking() {
        GenerationOptions greedy = GenerationOptions.greedy().maxTokens(16).ignoreEos(true);
        String blocking = model.generator(greedy).complete("The quick brown fox").text();
        String streamed = model.generator(greedy).stream("The quick brown fox")
                .map(GeneratedToken::text).collect(Collectors.joining());
        assertEquals(blocking, streamed);
    }

    @Test
    void theSameSeedGivesTheSameTokensWhateverTheThreadCount() {
        GenerationOptions sampling = GenerationOptions.sampling(1.0).topP(0.95).seed(7).maxTokens(24).ignoreEos(true);
        int[] reference;
        try (Model one = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(1).build()) {
            reference = one.generator(sampling).complete("Once upon a time").ids();
        }
        assertArrayEquals(reference, model.generator(sampling).complete("Once upon a time").ids());
        try (Model three = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(3).build()) {
            assertArrayEquals(reference, three.generator(sampling).complete("Once upon a time").ids());
        }
    }

    @Test
    void differentSeedsSampleDifferentTokens() {
        GenerationOptions sampling = GenerationOptions.sampling(1.0).maxTokens(24).ignoreEos(true);
        int[] a = model.generator(sampling.seed(1)).complete("Once upon a time").ids();
        int[] b = model.generator(sampling.seed(2)).complete("Once upon a time").ids();
        assertFalse(java.util.Arrays.equals(a, b));
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        GenerationOptions greedy = GenerationOptions.greedy().maxTokens(32).ignoreEos(true);
        String full = model.generator(greedy).complete("The quick brown fox").text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        Completion c = model.generator(greedy.stopStrings(List.of(stop))).complete("The quick brown fox");
        assertEquals(FinishReason.STOP_STRING, c.finishReason());
        assertEquals(full.substring(0, full.indexOf(stop)), c.text());
    }

    @Test
    void maxTokensBoundsTheOutput() {
        Completion c = model.generator(GenerationOptions.greedy().maxTokens(5).ignoreEos(true)).complete("Hello");
        assertEquals(5, c.ids().length);
        assertEquals(FinishReason.MAX_TOKENS, c.finishReason());
        assertEquals(5, c.usage().generatedTokens());
    }

    @Test
    void anOverflowingEvaluationIsRefusedAndLeavesTheSessionUsable() {
        try (Model small = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(2).contextLength(16).build();
             Session s = small.newSession()) {
            s.evaluate(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> s.evaluate(new int[] {1, 2, 3, 4, 5, 6, 7}));
            assertEquals(10, e.used());
            assertEquals(7, e.requested());
            assertEquals(16, e.contextLength());
            assertEquals(10, s.position());
            assertEquals(6 * small.info().vocabularySize(), s.evaluate(new int[] {1, 2, 3, 4, 5, 6}).length);
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedBeforeAnythingChanges() {
        try (Model small = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(2).contextLength(16).build();
             Session s = small.newSession()) {
            assertThrows(ContextOverflowException.class, () -> s.ask("word ".repeat(40)));
            assertTrue(s.history().isEmpty());
            assertEquals(0, s.position());
        }
    }

    @Test
    void rewindingKeepsThePrefixAndContinuesAsAFreshSessionWould() {
        int[] prefix = {3707, 11, 1879, 0, 358};
        int[] first = {3555, 1052};
        int[] second = {1207, 86, 4000};
        try (Session branched = model.newSession(); Session fresh = model.newSession()) {
            branched.append(prefix);
            branched.append(first);
            branched.rewind(prefix.length);
            assertEquals(prefix.length, branched.position());
            float[] afterRewind = branched.evaluate(second);
            fresh.append(prefix);
            assertArrayEquals(fresh.evaluate(second), afterRewind, 1e-5f);
        }
    }

    @Test
    void rewindingPastTheEndOrToANegativePositionIsRefusedAndChangesNothing() {
        try (Session s = model.newSession()) {
            s.append(new int[] {3707, 11, 1879});
            assertThrows(IllegalArgumentException.class, () -> s.rewind(4));
            assertThrows(IllegalArgumentException.class, () -> s.rewind(-1));
            assertEquals(3, s.position());
        }
    }

    @Test
    void aClosedSessionRefusesToRewind() {
        Session s = model.newSession();
        s.append(new int[] {3707});
        s.close();
        assertThrows(SessionClosedException.class, () -> s.rewind(0));
    }

    @Test
    void appendingIntoAnArrayGivesTheLogitsAppendReturns() {
        int[][] steps = {{3707, 11, 1879}, {264}, {1052}};
        float[] logits = new float[model.info().vocabularySize()];
        try (Session returning = model.newSession(); Session writing = model.newSession()) {
            for (int[] ids : steps) {
                float[] expected = returning.append(ids);
                writing.append(ids, logits);
                assertArrayEquals(expected, logits);
            }
            assertEquals(returning.position(), writing.position());
        }
    }

    @Test
    void appendingIntoATooShortArrayIsRefusedAndLeavesTheSessionAsItWas() {
        try (Session s = model.newSession(); Session fresh = model.newSession()) {
            s.append(new int[] {3707});
            fresh.append(new int[] {3707});
            float[] expected = fresh.append(new int[] {264});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.append(new int[] {264}, new float[10]));
            assertTrue(e.getMessage().contains("vocabulary"), e.getMessage());
            assertEquals(1, s.position());
            assertArrayEquals(expected, s.append(new int[] {264}));
        }
    }

    @Test
    void aClosedSessionRefusesWorkAndOthersCarryOn() {
        Session closed = model.newSession();
        Session other = model.newSession(GenerationOptions.greedy().maxTokens(4).ignoreEos(true));
        closed.close();
        assertThrows(SessionClosedException.class, () -> closed.ask("hi"));
        assertThrows(SessionClosedException.class, () -> closed.evaluate(new int[] {1}));
        assertThrows(SessionClosedException.class,
                () -> closed.append(new int[] {1}, new float[model.info().vocabularySize()]));
        assertEquals(4, other.ask("hi").completion().ids().length, "the other session still generates");
        other.close();
    }

    @Test
    void aClosedModelRefusesNewSessions() throws Exception {
        Model m = Model.builder(fixture("tiny-qwen2-f32.gguf")).threads(1).build();
        m.close();
        assertThrows(SessionClosedException.class, m::newSession);
    }

    @Test
    void infoDescribesTheLoadedModel() {
        assertEquals("qwen2", model.info().architecture());
        assertEquals(2, model.info().layers());
        assertEquals(64, model.info().hiddenSize());
        assertEquals(4122, model.info().vocabularySize());
        assertEquals("F32", model.info().weightType());
        assertEquals("cpu-simd", model.info().backend());
        assertTrue(Files.exists(model.info().path()));
    }
}
