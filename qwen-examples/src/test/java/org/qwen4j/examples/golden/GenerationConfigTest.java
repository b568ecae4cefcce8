package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Model;

/** A checkpoint's generation_config.json supplies the default sampling of its sessions. */
class GenerationConfigTest {

    @Test
    void generationConfigOverridesTheFamilyDefaults(@TempDir Path dir) throws Exception {
        Path hf = Reference.ROOT.resolve("models/tiny-qwen2/hf");
        try (var files = Files.list(hf)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"eos_token_id\": [4098, 4096], \"do_sample\": true, \"temperature\": 0.3, \"top_k\": 5,"
                        + " \"top_p\": 0.9, \"repetition_penalty\": 1.1}");
        try (Model m = Model.builder(dir).threads(1).build()) {
            GenerationOptions o = m.defaultGenerationOptions();
            assertEquals(0.3, o.temperature(), 1e-6);
            assertEquals(5, o.topK());
            assertEquals(0.9, o.topP(), 1e-6);
            assertEquals(1.1, o.repeatPenalty(), 1e-6);
        }
    }

    @Test
    void doSampleFalseMeansGreedy(@TempDir Path dir) throws Exception {
        Path hf = Reference.ROOT.resolve("models/tiny-qwen2/hf");
        try (var files = Files.list(hf)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": false, \"temperature\": 0.7}");
        try (Model m = Model.builder(dir).threads(1).build()) {
            assertTrue(m.defaultGenerationOptions().isGreedy());
        }
    }
}
