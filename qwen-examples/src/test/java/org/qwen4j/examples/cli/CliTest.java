package org.qwen4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command forms of DESIGN.md, checked against the reference set. */
class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DATA = locate();

    private static Path locate() {
        String prop = System.getProperty("qwen4j.testdata");
        if (prop != null) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("testdata folder not found");
    }

    private record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Qwen4jCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static JsonNode index() throws Exception {
        return JSON.readTree(DATA.resolve("index.json").toFile());
    }

    private static String model(String name, String type) {
        return DATA.resolve("models/" + name + "/" + name + "-" + type + ".gguf").toString();
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @Test
    void generateJsonReproducesTheGreedyReference() throws Exception {
        JsonNode index = index();
        for (String type : new String[] {"f32", "q8_0"}) {
            JsonNode greedy = index.at("/models/0/greedy/" + type);
            for (int i = 0; i < greedy.size(); i++) {
                Result r = cli("generate", "-m", model("tiny-qwen2", type), "-p", index.get("prompts").get(i).asText(),
                        "-n", "32", "--ignore-eos", "--json", "-t", "2");
                assertEquals(0, r.code(), r.err());
                JsonNode got = JSON.readTree(r.out());
                assertArrayEquals(ints(greedy.get(i).get("prompt_ids")), ints(got.get("prompt_ids")));
                assertArrayEquals(ints(greedy.get(i).get("exact_ids")), ints(got.get("ids")));
                assertTrue(got.get("text").isTextual());
            }
        }
    }

    @Test
    void tokenizeWithSpecialParsesControlTokens() throws Exception {
        JsonNode index = index();
        Result r = cli("tokenize", "-m", model("tiny-qwen2", "f32"), "--text", index.get("prompts").get(0).asText(), "--special");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(ints(index.at("/models/0/greedy/f32/0/prompt_ids")), ints(JSON.readTree(r.out())));
    }

    @Test
    void tokenizeWorksOnAVocabularyOnlyFileWithLlamaCppsIds() throws Exception {
        String[] texts = Files.readString(DATA.resolve("tokenizer/ggml-vocab-qwen2.gguf.inp")).split("\n__ggml_vocab_test__\n", -1);
        String[] ids = Files.readString(DATA.resolve("tokenizer/ggml-vocab-qwen2.gguf.out")).split("\n", -1);
        for (int i : new int[] {1, 5, 20, 40}) {
            Result r = cli("tokenize", "-m", DATA.resolve("tokenizer/ggml-vocab-qwen2.gguf").toString(), "--text", texts[i]);
            assertEquals(0, r.code(), r.err());
            int[] expected = Arrays.stream(ids[i].strip().split(" ")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(expected, ints(JSON.readTree(r.out())), "text " + i);
        }
    }

    @Test
    void detokenizeInvertsTokenize() throws Exception {
        String text = "The quick brown fox jumps over the lazy dog. 1234567890";
        Result t = cli("tokenize", "-m", model("tiny-qwen2", "f32"), "--text", text);
        String ids = Arrays.stream(ints(JSON.readTree(t.out()))).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Result d = cli("detokenize", "-m", model("tiny-qwen2", "f32"), "--ids", ids);
        assertEquals(0, d.code(), d.err());
        assertEquals(text + System.lineSeparator(), d.out());
    }

    @Test
    void logitsFileHoldsEveryPositionBatchedAndIncrementally(@TempDir Path tmp) throws Exception {
        JsonNode index = index();
        int[] seq = ints(index.at("/sequences/tiny-qwen2/seq8"));
        String ids = Arrays.stream(seq).mapToObj(Integer::toString).collect(Collectors.joining(","));
        float[] exact = floats(DATA.resolve(index.at("/models/0/logits/f32/seq8/exact").asText()));
        for (String mode : new String[] {"batch", "incremental"}) {
            Path out = tmp.resolve(mode + ".f32");
            Result r = mode.equals("batch")
                    ? cli("logits", "-m", model("tiny-qwen2", "f32"), "--ids", ids, "-o", out.toString())
                    : cli("logits", "-m", model("tiny-qwen2", "f32"), "--ids", ids, "-o", out.toString(), "--incremental");
            assertEquals(0, r.code(), r.err());
            float[] ours = floats(out);
            assertEquals(exact.length, ours.length);
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < exact.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - exact[i]));
                maxAbs = Math.max(maxAbs, Math.abs(exact[i]));
            }
            assertTrue(maxDiff / maxAbs <= 1e-4, mode + ": relative error " + maxDiff / maxAbs);
        }
    }

    @Test
    void benchJsonReportsPromptAndGenerationSpeed() throws Exception {
        Result r = cli("bench", "-m", model("tiny-qwen2", "q8_0"), "-p", "16", "-n", "8", "-r", "2", "-t", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(16, j.at("/pp/tokens").asInt());
        assertEquals(8, j.at("/tg/tokens").asInt());
        assertTrue(j.at("/pp/mean").asDouble() > 0);
        assertTrue(j.at("/tg/mean").asDouble() > 0);
        assertTrue(j.at("/tg/stddev").asDouble() >= 0);
        assertEquals(2, j.get("threads").asInt());
    }

    @Test
    void benchAtDepthMeasuresAfterAnUntimedContext() throws Exception {
        Result r = cli("bench", "-m", model("tiny-qwen2", "f32"), "-p", "8", "-n", "4", "-d", "100", "-r", "1", "-t", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(100, j.get("depth").asInt());
        assertTrue(j.at("/tg/mean").asDouble() > 0);
    }

    @Test
    void unknownOptionExitsWithUsage() {
        Result r = cli("generate", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option"));
    }

    @Test
    void missingModelFileIsReportedNotThrown() {
        Result r = cli("generate", "-m", "/nonexistent/model.gguf", "-p", "hi");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("model not found"), r.err());
    }

    private static float[] floats(Path p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }
}
