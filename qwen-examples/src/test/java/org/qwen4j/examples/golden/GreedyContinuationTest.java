package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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

/**
 * Greedy decoding reproduces the float64 reference's 32 tokens ({@code exact_ids}) for every prompt,
 * model and type, and the tokenizer reproduces llama.cpp's prompt ids.
 */
class GreedyContinuationTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : List.of("tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3", "tiny-qwen2-yarn", "fullvocab-qwen2",
                "tiny-qwen2moe", "tiny-qwen3moe")) {
            for (String type : Reference.types(model)) {
                JsonNode entries = Reference.greedy(model, type);
                for (int i = 0; i < entries.size(); i++) {
                    for (String backend : List.of("cpu-simd", "cpu-reference")) {
                        cases.add(Arguments.of(model, type, i, backend));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} prompt {2} {3}")
    @MethodSource("cases")
    void greedyTokensEqualTheExactReference(String model, String type, int prompt, String backend) {
        JsonNode entry = Reference.greedy(model, type).get(prompt);
        int[] expected = Reference.ints(entry.get("exact_ids"));
        Model m = Models.get(Reference.gguf(model, type), backend);
        Completion c = m.generator(GenerationOptions.greedy().maxTokens(expected.length).ignoreEos(true))
                .complete(Reference.prompt(prompt));
        assertArrayEquals(Reference.ints(entry.get("prompt_ids")), c.promptIds(), "prompt tokenization");
        assertArrayEquals(expected, c.ids());
    }
}
