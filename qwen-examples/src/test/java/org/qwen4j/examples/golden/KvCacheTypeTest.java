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
import org.qwen4j.GenerationOptions;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * A rounded KV cache keeps greedy decoding on the F32 cache's path over 32 tokens on the dense
 * fixtures, and its logits stay within the llama.cpp tolerance of the exact reference. Q8_0 needs head
 * dimensions in multiples of 32, which only tiny-qwen3 has.
 */
class KvCacheTypeTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : List.of("tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3")) {
            cases.add(Arguments.of(model, KvCacheType.F16));
        }
        cases.add(Arguments.of("tiny-qwen3", KvCacheType.Q8_0));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyOutputEqualsTheF32CachesAndLogitsStayClose(String model, KvCacheType type) {
        try (Model m = Model.builder(Reference.gguf(model, "f32")).threads(2).contextLength(256).kvCacheType(type).build()) {
            JsonNode greedy = Reference.greedy(model, "f32");
            for (int i = 0; i < greedy.size(); i++) {
                int[] ids = m.generator(GenerationOptions.greedy().maxTokens(32).ignoreEos(true))
                        .complete(Reference.prompt(i)).ids();
                assertArrayEquals(Reference.ints(greedy.get(i).get("exact_ids")), ids, "prompt " + i);
            }
            float[] logits;
            try (Session s = m.newSession()) {
                logits = s.evaluate(Reference.sequence(model, "seq32"));
            }
            double err = Reference.relativeError(logits, Reference.logits(model, "f32", "seq32", "exact"));
            System.out.printf("%s %s KV cache: logits vs exact %.2e%n", model, type, err);
            assertTrue(err <= 5e-2, "relative error " + err);
        }
    }
}
