package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.Completion;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * The K-quant fixture ({@code small-qwen2-kq}: hidden 256, so that rows are whole 256-value
 * super-blocks) in F32 and in llama.cpp's own {@code Q4_K_M} (Q4_K and Q6_K tensors),
 * {@code Q5_K_M} (Q5_K and Q6_K) and {@code Q6_K} mixtures: every position's logits equal the
 * float64 reference over the same dequantized weights within 1e-4 and llama.cpp's within the
 * README's tolerance, on both backends, as one batch and one token at a time; greedy decoding
 * reproduces the reference's 32 tokens.
 */
class KQuantGoldenTest {

    private static final String MODEL = "small-qwen2-kq";
    private static final List<String> BACKENDS = List.of("cpu-simd", "cpu-reference");

    static Stream<Arguments> logitCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String type : Reference.types(MODEL)) {
            for (String seq : Reference.sequenceNames(MODEL)) {
                for (String backend : BACKENDS) {
                    for (boolean incremental : List.of(false, true)) {
                        cases.add(Arguments.of(type, seq, backend, incremental));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} incremental={3}")
    @MethodSource("logitCases")
    void logitsMatchTheReferenceAndLlamaCpp(String type, String seq, String backend, boolean incremental) {
        Model m = Models.get(Reference.gguf(MODEL, type), backend);
        int[] ids = Reference.sequence(MODEL, seq);
        float[] ours;
        try (Session s = m.newSession()) {
            if (incremental) {
                int vocab = m.info().vocabularySize();
                ours = new float[ids.length * vocab];
                for (int i = 0; i < ids.length; i++) {
                    System.arraycopy(s.append(new int[] {ids[i]}), 0, ours, i * vocab, vocab);
                }
            } else {
                ours = s.evaluate(ids);
            }
        }
        double vsExact = Reference.relativeError(ours, Reference.logits(MODEL, type, seq, "exact"));
        double vsLlama = Reference.relativeError(ours, Reference.logits(MODEL, type, seq, "llamacpp"));
        assertTrue(vsExact <= 1e-4, "relative error vs exact " + vsExact + " > 1e-4");
        double tol = Reference.llamaCppTolerance(type);
        assertTrue(vsLlama <= tol, "relative error vs llama.cpp " + vsLlama + " > " + tol);
    }

    static Stream<Arguments> greedyCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String type : Reference.types(MODEL)) {
            JsonNode entries = Reference.greedy(MODEL, type);
            for (int i = 0; i < entries.size(); i++) {
                for (String backend : BACKENDS) {
                    cases.add(Arguments.of(type, i, backend));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} prompt {1} {2}")
    @MethodSource("greedyCases")
    void greedyTokensEqualTheExactReference(String type, int prompt, String backend) {
        JsonNode entry = Reference.greedy(MODEL, type).get(prompt);
        int[] expected = Reference.ints(entry.get("exact_ids"));
        Model m = Models.get(Reference.gguf(MODEL, type), backend);
        Completion c = m.generator(GenerationOptions.greedy().maxTokens(expected.length).ignoreEos(true))
                .complete(Reference.prompt(prompt));
        assertArrayEquals(Reference.ints(entry.get("prompt_ids")), c.promptIds(), "prompt tokenization");
        assertArrayEquals(expected, c.ids());
    }
}
