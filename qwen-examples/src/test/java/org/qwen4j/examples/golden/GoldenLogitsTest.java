package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * Every position's logits for every fixture model, weight type and sequence equal the float64
 * reference within 1e-4 and llama.cpp's within the README's tolerance for the type (where llama.cpp's
 * logits are a reference at all: not for quantized mixtures of experts), on both backends, evaluated
 * as one batch and one token at a time.
 */
class GoldenLogitsTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : Reference.modelsPresent()) {
            if (!model.startsWith("tiny-qwen") && !model.startsWith("fullvocab")) continue;
            for (String type : Reference.types(model)) {
                for (String seq : Reference.sequenceNames(model)) {
                    for (String backend : List.of("cpu-simd", "cpu-reference")) {
                        for (boolean incremental : List.of(false, true)) {
                            cases.add(Arguments.of(model, type, seq, backend, incremental));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} incremental={4}")
    @MethodSource("cases")
    void logitsMatchTheReferenceAndLlamaCpp(String model, String type, String seq, String backend, boolean incremental) {
        Model m = Models.get(Reference.gguf(model, type), backend);
        int[] ids = Reference.sequence(model, seq);
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
        double vsExact = Reference.relativeError(ours, Reference.logits(model, type, seq, "exact"));
        assertTrue(vsExact <= 1e-4, "relative error vs exact " + vsExact + " > 1e-4");
        if (Reference.comparableWithLlamaCpp(model, type)) {
            double vsLlama = Reference.relativeError(ours, Reference.logits(model, type, seq, "llamacpp"));
            double tol = Reference.llamaCppTolerance(type);
            assertTrue(vsLlama <= tol, "relative error vs llama.cpp " + vsLlama + " > " + tol);
        }
    }
}
