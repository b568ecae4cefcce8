package org.qwen4j.quant;

import java.nio.file.Files;
import java.nio.file.Path;

import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.spi.ModelSource;

/**
 * The {@code small-qwen2-kq} model of the reference set, copied into {@code testdata/}: one set of
 * random weights as F32 and as llama.cpp's {@code llama-quantize} wrote it in the {@code Q4_K_M},
 * {@code Q5_K_M} and {@code Q6_K} mixtures.
 */
final class KQuantFixtures {

    /** The quantized files' suffixes. */
    static final String[] MIXTURES = {"Q4_K_M", "Q5_K_M", "Q6_K"};

    private KQuantFixtures() {
    }

    /** Opens {@code small-qwen2-kq-<type>.gguf} with the project's GGUF reader. */
    static ModelSource open(String type) {
        return new GgufModelFormat().open(testdata().resolve("models/small-qwen2-kq/small-qwen2-kq-" + type + ".gguf"));
    }

    private static Path testdata() {
        String property = System.getProperty("qwen4j.testdata");
        if (property != null && Files.isDirectory(Path.of(property))) {
            return Path.of(property);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) {
                return p.resolve("testdata");
            }
        }
        throw new IllegalStateException("testdata folder not found");
    }
}
