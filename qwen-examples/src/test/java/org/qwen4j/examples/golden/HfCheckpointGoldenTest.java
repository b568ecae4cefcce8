package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.Completion;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Model;
import org.qwen4j.ModelInfo;
import org.qwen4j.Session;

/**
 * {@code Model.load(folder)} on the Hugging Face checkpoint folders of the fixtures gives the logits
 * of their F32 GGUF twins' goldens (within 1e-4 of the float64 reference and of llama.cpp), evaluated
 * as one batch and one token at a time on both backends, and the same greedy continuations.
 */
class HfCheckpointGoldenTest {
    private static final List<String> MODELS = List.of("tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3", "tiny-qwen2-yarn",
            "tiny-qwen2moe", "tiny-qwen3moe");
    private static final List<String> BACKENDS = List.of("cpu-simd", "cpu-reference");

    static Path folder(String model) {
        return Reference.ROOT.resolve("models/" + model + "/hf");
    }

    static Stream<Arguments> logitCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : MODELS) {
            for (String seq : Reference.sequenceNames(model)) {
                for (String backend : BACKENDS) {
                    for (boolean incremental : List.of(false, true)) cases.add(Arguments.of(model, seq, backend, incremental));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} incremental={3}")
    @MethodSource("logitCases")
    void logitsEqualTheF32Goldens(String model, String seq, String backend, boolean incremental) {
        Model m = Models.get(folder(model), backend);
        int[] ids = Reference.sequence(model, seq);
        float[] ours;
        try (Session s = m.newSession()) {
            if (incremental) {
                int vocab = m.info().vocabularySize();
                ours = new float[ids.length * vocab];
                for (int i = 0; i < ids.length; i++) System.arraycopy(s.append(new int[] {ids[i]}), 0, ours, i * vocab, vocab);
            } else {
                ours = s.evaluate(ids);
            }
        }
        double vsExact = Reference.relativeError(ours, Reference.logits(model, "f32", seq, "exact"));
        double vsLlama = Reference.relativeError(ours, Reference.logits(model, "f32", seq, "llamacpp"));
        assertTrue(vsExact <= 1e-4, "relative error vs exact " + vsExact + " > 1e-4");
        assertTrue(vsLlama <= 1e-4, "relative error vs llama.cpp " + vsLlama + " > 1e-4");
    }

    static Stream<Arguments> greedyCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : MODELS) {
            JsonNode entries = Reference.greedy(model, "f32");
            for (int i = 0; i < entries.size(); i++) {
                for (String backend : BACKENDS) cases.add(Arguments.of(model, i, backend));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} prompt {1} {2}")
    @MethodSource("greedyCases")
    void greedyTokensEqualTheExactReference(String model, int prompt, String backend) {
        JsonNode entry = Reference.greedy(model, "f32").get(prompt);
        int[] expected = Reference.ints(entry.get("exact_ids"));
        Model m = Models.get(folder(model), backend);
        Completion c = m.generator(GenerationOptions.greedy().maxTokens(expected.length).ignoreEos(true))
                .complete(Reference.prompt(prompt));
        assertArrayEquals(Reference.ints(entry.get("prompt_ids")), c.promptIds(), "prompt tokenization");
        assertArrayEquals(expected, c.ids());
    }

    @Test
    void modelLoadOpensAFolderAndDescribesIt() {
        try (Model m = Model.load(folder("tiny-qwen3"))) {
            ModelInfo info = m.info();
            assertEquals("qwen3", info.architecture());
            assertEquals("F32", info.weightType());
            assertEquals(4122, info.vocabularySize());
            assertEquals(2, info.layers());
            assertEquals(256, info.trainedContextLength());
            assertTrue(m.tokenizer().isEndOfGeneration(m.tokenizer().eosId()));
        }
    }
}
