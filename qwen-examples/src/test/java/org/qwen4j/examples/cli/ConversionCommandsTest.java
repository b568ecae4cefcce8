package org.qwen4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.Completion;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Model;
import org.qwen4j.ModelInfo;

/** {@code qwen4j quantize} and {@code qwen4j synth}: their command forms, and that what they write loads and runs. */
class ConversionCommandsTest {
    private static final Path DATA = testdata();

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Path testdata() {
        String prop = System.getProperty("qwen4j.testdata");
        if (prop != null) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("testdata folder not found");
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Qwen4jCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String fixture(String name, String type) {
        return DATA.resolve("models/" + name + "/" + name + "-" + type + ".gguf").toString();
    }

    @Test
    void quantizeWritesAModelTheEngineLoadsAndReportsProgressOnStderr() throws Exception {
        Path out = dir.resolve("q8.gguf");
        Result r = cli("quantize", "-i", fixture("tiny-qwen2", "f32"), "-o", out.toString(), "--type", "q8_0", "-t", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("[  26/  26] 100%"), r.err());
        assertTrue(r.err().contains("26 tensors (F32 11, Q8_0 15)"), r.err());
        try (Model m = Model.builder(out).threads(2).contextLength(64).build()) {
            assertEquals("Q8_0", m.info().weightType());
            Completion c = m.generator(GenerationOptions.greedy().maxTokens(4).ignoreEos(true)).complete("Hello");
            assertEquals(4, c.usage().generatedTokens());
        }
    }

    @Test
    void quantizeAcceptsLlamaQuantizesPositionalForm() throws Exception {
        Path named = dir.resolve("named.gguf");
        Path positional = dir.resolve("positional.gguf");
        assertEquals(0, cli("quantize", "-i", fixture("tiny-qwen3", "f32"), "-o", named.toString(), "--type", "q4_0").code());
        Result r = cli("quantize", fixture("tiny-qwen3", "f32"), positional.toString(), "Q4_0", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(-1, Files.mismatch(named, positional));
    }

    @Test
    void quantizePureGivesEveryMatrixTheTypeAndConvertsHuggingFaceFolders() throws Exception {
        Path out = dir.resolve("pure.gguf");
        Result r = cli("quantize", "-i", DATA.resolve("models/tiny-qwen2/hf").toString(), "-o", out.toString(),
                "--type", "q4_0", "--pure");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("(F32 11, Q4_0 15)"), r.err());
    }

    @Test
    void quantizeWithAnUnknownTypeExitsWithUsage() {
        Result r = cli("quantize", "-i", fixture("tiny-qwen2", "f32"), "-o", dir.resolve("x.gguf").toString(), "--type", "q3_xl");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown type 'q3_xl'"), r.err());
        assertTrue(r.err().contains("usage:"), r.err());
    }

    @Test
    void quantizeOfAMissingModelFailsWithAMessageAndWritesNothing() {
        Path out = dir.resolve("never.gguf");
        Result r = cli("quantize", dir.resolve("missing.gguf").toString(), out.toString(), "q8_0");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("model not found"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void synthWritesALoadableModelOfTheShapeAsked() throws Exception {
        Path out = dir.resolve("synth.gguf");
        Result r = cli("synth", "--arch", "qwen3", "--hidden", "64", "--layers", "3", "--heads", "4", "--kv-heads", "2",
                "--ffn", "96", "--head-dim", "32", "--type", "q8_0", "-o", out.toString(), "--seed", "9",
                "--vocab", fixture("tiny-qwen2", "f32"), "-t", "2");
        assertEquals(0, r.code(), r.err());
        try (Model m = Model.builder(out).threads(2).contextLength(64).build()) {
            ModelInfo info = m.info();
            assertEquals("qwen3", info.architecture());
            assertEquals(3, info.layers());
            assertEquals(64, info.hiddenSize());
            assertEquals(4, info.heads());
            assertEquals(2, info.kvHeads());
            assertEquals(4122, info.vocabularySize());
            assertEquals(4, m.generator(GenerationOptions.greedy().maxTokens(4).ignoreEos(true)).complete("Hi").usage().generatedTokens());
        }
    }

    @Test
    void synthPresetsCanBeNarrowedForQuickRuns() throws Exception {
        Path out = dir.resolve("preset.gguf");
        Result r = cli("synth", "--preset", "qwen2.5-0.5b", "--layers", "1", "--hidden", "128", "--heads", "2",
                "--ffn", "256", "--type", "f16", "-o", out.toString(), "--vocab", fixture("tiny-qwen2", "f32"));
        assertEquals(0, r.code(), r.err());
        try (Model m = Model.builder(out).threads(2).contextLength(64).build()) {
            assertEquals("qwen2.5-0.5b", m.info().name());
            assertEquals(2, m.info().kvHeads(), "the preset's value where no option replaces it");
        }
    }

    @Test
    void synthWithoutAShapeExitsWithUsage() {
        Result r = cli("synth", "--type", "q8_0", "-o", dir.resolve("x.gguf").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--preset"), r.err());
    }
}
