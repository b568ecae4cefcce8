package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.Session;
import org.qwen4j.quant.convert.ConversionProgress;
import org.qwen4j.quant.convert.FileType;
import org.qwen4j.quant.convert.ModelQuantizer;

/**
 * The acceptance test of the converter: the F32 GGUF and the Hugging Face folder of every fixture
 * model, converted to each type the reference has goldens for, run with logits within 1e-4 of that
 * type's float64 reference. Q4_0 is converted {@code --pure}: the fixture (and so its golden) has a
 * Q4_0 token embedding where llama.cpp's default rules give the tied embedding Q8_0. The K-quant
 * mixtures ({@code small-qwen2-kq}) are llama.cpp's own files, which the default rules reproduce.
 */
class ConvertedModelLogitsTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String model : List.of("tiny-qwen2", "tiny-qwen2-untied", "tiny-qwen3", "tiny-qwen2-yarn", "tiny-qwen2moe",
                "tiny-qwen3moe", "small-qwen2-kq")) {
            if (!Reference.modelsPresent().contains(model)) continue;
            for (String source : List.of("gguf", "hf")) {
                if (source.equals("hf") && !Files.isDirectory(Reference.ROOT.resolve("models/" + model + "/hf"))) continue;
                for (String type : Reference.types(model)) cases.add(Arguments.of(model, source, type));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("cases")
    void convertedModelGivesTheTypesExactLogits(String model, String source, String type) throws IOException {
        Path input = source.equals("hf") ? Reference.ROOT.resolve("models/" + model + "/hf") : Reference.gguf(model, "f32");
        Path output = dir.resolve(model + "-" + source + "-" + type + ".gguf");
        FileType fileType = FileType.parse(type);
        new ModelQuantizer(2, ConversionProgress.NONE).quantize(input, output, fileType, fileType == FileType.Q4_0);
        try (Model m = Model.builder(output).threads(2).contextLength(256)
                .kvCacheType(KvCacheType.F32).build()) {
            for (String seq : Reference.sequenceNames(model)) {
                float[] ours;
                try (Session s = m.newSession()) {
                    ours = s.evaluate(Reference.sequence(model, seq));
                }
                double error = Reference.relativeError(ours, Reference.logits(model, type, seq, "exact"));
                assertTrue(error <= 1e-4, seq + ": relative error vs exact " + error + " > 1e-4");
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
