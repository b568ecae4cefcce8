package org.qwen4j.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.KvCacheType;
import org.qwen4j.core.cpu.ReferenceBackend;
import org.qwen4j.core.cpu.SimdBackend;
import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.core.hf.HfCheckpointFormat;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * A mixture-of-experts block reads only the experts its router chose. The products the forward pass
 * asks the backend for are recorded, and the router's choice is recomputed here, in double precision,
 * from the router weights and the router's recorded input: a single-token decode step must read
 * exactly the top-k experts' gate, up and down matrices of every block (k of n experts' bytes), and a
 * prompt chunk must read each expert at most once, over exactly the tokens routed to it. Both the
 * GGUF layout (experts stacked in 3-D tensors) and the Hugging Face one (a tensor per expert) are
 * checked; the quantized GGUFs need qwen-quant, and the golden tests cover them.
 */
class MoeExpertReadsTest {
    private static final Pattern EXPERT = Pattern.compile("blk\\.(\\d+)\\.ffn_(gate|up|down)_exps\\.(\\d+)\\.weight");
    private static final Pattern STACKED = Pattern.compile("blk\\.\\d+\\.ffn_(gate|up|down|gate_up)_exps\\.weight");
    private static final int[] PROMPT = {3005, 3335, 1942, 551, 3230, 2521, 546, 1650};
    private static final int NEXT = 594;

    static Stream<Arguments> models() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : List.of("tiny-qwen2moe", "tiny-qwen3moe")) {
            for (String backend : List.of("cpu-reference", "cpu-simd")) {
                cases.add(Arguments.of(model, model + "-f32.gguf", backend));
                cases.add(Arguments.of(model, "hf", backend));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("models")
    void decodeReadsOnlyTheRoutedExpertsAndPrefillEachExpertOnce(String model, String file, String backendName) {
        Path path = TestData.resolve("models/" + model + "/" + file);
        try (ModelSource source = file.equals("hf") ? new HfCheckpointFormat().open(path) : new GgufModelFormat().open(path);
             RecordingBackend backend = new RecordingBackend(backend(backendName))) {
            String arch = source.metadata().getString("general.architecture");
            ArchitectureProvider provider = arch.equals("qwen2moe") ? new Qwen2MoeArchitecture() : new Qwen3MoeArchitecture();
            LanguageModel lm = provider.create(source, backend);
            int layers = lm.config().layers();
            int experts = source.metadata().getInt(arch + ".expert_count", 1, 1 << 16);
            int used = source.metadata().getInt(arch + ".expert_used_count", 1, experts);
            float[] logits = new float[PROMPT.length * lm.config().vocabularySize()];
            try (InferenceState state = lm.newState(64, KvCacheType.F32)) {
                lm.forward(state, PROMPT, 0, PROMPT.length, logits, false);
                checkPrefill(source, backend.products(), layers, used);

                backend.clear();
                lm.forward(state, new int[] {NEXT}, 0, 1, logits, false);
                checkDecode(source, backend.products(), layers, experts, used);
            }
        }
    }

    private static Backend backend(String name) {
        return name.equals("cpu-simd") ? new SimdBackend(2) : new ReferenceBackend();
    }

    /** Each expert is read at most once per block, over exactly the prompt tokens whose top-k holds it. */
    private static void checkPrefill(ModelSource source, List<RecordingBackend.Product> products, int layers, int used) {
        for (int l = 0; l < layers; l++) {
            RecordingBackend.Product router = router(products, l);
            List<Set<Integer>> chosen = new ArrayList<>();
            for (int b = 0; b < router.batch(); b++) chosen.add(topK(source, l, router.input(), b, used));
            for (String kind : List.of("gate", "up", "down")) {
                Map<Integer, Integer> rowsPerExpert = expertReads(products, l, kind, true);
                int total = 0;
                for (var e : rowsPerExpert.entrySet()) {
                    int expert = e.getKey();
                    long routedTokens = chosen.stream().filter(s -> s.contains(expert)).count();
                    assertEquals(routedTokens, (long) e.getValue(), "block " + l + " " + kind + " expert " + expert + " rows");
                    total += e.getValue();
                }
                assertEquals(PROMPT.length * used, total, "block " + l + " " + kind + ": rows over all experts");
            }
        }
        assertNoStackedTensorRead(products);
    }

    /** Exactly the router's top-k experts are read, each over the one token, and nothing else of the experts. */
    private static void checkDecode(ModelSource source, List<RecordingBackend.Product> products, int layers,
                                    int experts, int used) {
        long expertBytesRead = 0;
        long expertBytesAll = 0;
        for (int l = 0; l < layers; l++) {
            RecordingBackend.Product router = router(products, l);
            assertEquals(1, router.batch());
            Set<Integer> expected = topK(source, l, router.input(), 0, used);
            for (String kind : List.of("gate", "up", "down")) {
                Map<Integer, Integer> reads = expertReads(products, l, kind, false);
                assertEquals(expected, reads.keySet(), "block " + l + " " + kind + ": experts read");
                reads.values().forEach(rows -> assertEquals(1, rows));
            }
            for (RecordingBackend.Product p : products) {
                Matcher m = EXPERT.matcher(p.name());
                if (m.matches() && Integer.parseInt(m.group(1)) == l) expertBytesRead += p.weight().data().byteSize();
            }
            expertBytesAll += experts * (perExpertBytes(products, l, "gate") + perExpertBytes(products, l, "up")
                    + perExpertBytes(products, l, "down"));
        }
        assertNoStackedTensorRead(products);
        assertEquals(expertBytesAll * used / experts, expertBytesRead, "expert bytes read by one decode step");
        System.out.printf("%s: one decode step read %d of %d expert weight bytes (%d of %d experts per block)%n",
                source.path().getFileName(), expertBytesRead, expertBytesAll, used, experts);
    }

    private static long perExpertBytes(List<RecordingBackend.Product> products, int layer, String kind) {
        return products.stream().filter(p -> {
            Matcher m = EXPERT.matcher(p.name());
            return m.matches() && Integer.parseInt(m.group(1)) == layer && m.group(2).equals(kind);
        }).findFirst().orElseThrow().weight().data().byteSize();
    }

    private static RecordingBackend.Product router(List<RecordingBackend.Product> products, int layer) {
        List<RecordingBackend.Product> routers = products.stream()
                .filter(p -> p.name().equals("blk." + layer + ".ffn_gate_inp.weight")).toList();
        assertEquals(1, routers.size(), "router products of block " + layer);
        return routers.getFirst();
    }

    /** Expert index to the rows it was read over, for one block and matrix kind; each expert read once. */
    private static Map<Integer, Integer> expertReads(List<RecordingBackend.Product> products, int layer, String kind,
                                                     boolean prefill) {
        Map<Integer, Integer> rows = new TreeMap<>();
        for (RecordingBackend.Product p : products) {
            Matcher m = EXPERT.matcher(p.name());
            if (!m.matches() || Integer.parseInt(m.group(1)) != layer || !m.group(2).equals(kind)) continue;
            Integer earlier = rows.put(Integer.parseInt(m.group(3)), p.batch());
            assertEquals(null, earlier, (prefill ? "prefill" : "decode") + " read " + p.name() + " twice");
        }
        return rows;
    }

    private static void assertNoStackedTensorRead(List<RecordingBackend.Product> products) {
        for (RecordingBackend.Product p : products) {
            assertFalse(STACKED.matcher(p.name()).matches(), "a whole stacked expert tensor was read: " + p.name());
        }
    }

    /**
     * The {@code k} experts of highest router logit for row {@code b} of the router's input, from the
     * router weights in double precision; fails if the k-th and (k+1)-th are too close to call.
     */
    private static Set<Integer> topK(ModelSource source, int layer, float[] input, int b, int k) {
        Tensor router = source.tensor("blk." + layer + ".ffn_gate_inp.weight");
        float[] w = router.toFloatArray();
        int hidden = router.columns();
        int experts = router.rows();
        double[] logit = new double[experts];
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < hidden; i++) logit[e] += (double) w[e * hidden + i] * input[b * hidden + i];
        }
        Integer[] order = new Integer[experts];
        for (int e = 0; e < experts; e++) order[e] = e;
        Arrays.sort(order, (x, y) -> Double.compare(logit[y], logit[x]));
        if (k < experts) {
            double gap = logit[order[k - 1]] - logit[order[k]];
            assertTrue(gap > 1e-4, "block " + layer + " token " + b + ": experts " + order[k - 1] + " and " + order[k]
                    + " are a near-tie (" + gap + "), the choice would not be a fair test");
        }
        Set<Integer> top = new TreeSet<>();
        for (int i = 0; i < k; i++) top.add(order[i]);
        return top;
    }
}
