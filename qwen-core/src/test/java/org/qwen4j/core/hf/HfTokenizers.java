package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.qwen4j.core.gguf.GgufModelFormat;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.core.tokenizer.GgufTokenizer;
import org.qwen4j.core.tokenizer.GgufTokenizerProvider;
import org.qwen4j.core.tokenizer.HfTokenizer;
import org.qwen4j.core.tokenizer.TokenizerJsonProvider;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;

/** tokenizer.json tokenizers and the llama.cpp expectations they are checked against, each built once. */
final class HfTokenizers {
    /** The whole Qwen2 vocabulary as a tokenizer.json (see testdata/tokenizer/hf-qwen2/README.md). */
    static final String FULL = "tokenizer/hf-qwen2";
    static final String QWEN2_GGUF = "tokenizer/ggml-vocab-qwen2.gguf";
    static final String QWEN35_GGUF = "tokenizer/ggml-vocab-qwen35.gguf";
    private static final String VOCAB_TEST_SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<Path, HfTokenizer> HF = new ConcurrentHashMap<>();
    private static final Map<String, GgufTokenizer> GGUF = new ConcurrentHashMap<>();

    private HfTokenizers() {
    }

    /** The tokenizer of the tokenizer files in a folder, as the checkpoint format and provider build it. */
    static HfTokenizer of(Path folder) {
        return HF.computeIfAbsent(folder.toAbsolutePath(), HfTokenizers::build);
    }

    static HfTokenizer build(Path folder) {
        Metadata md = new Metadata(folder, TokenizerJsonReader.read(folder, null, null));
        return new TokenizerJsonProvider().create(folder, md);
    }

    static HfTokenizer full() {
        return of(TestData.resolve(FULL));
    }

    static HfTokenizer tiny() {
        return of(HfFixtures.folder("tiny-qwen2"));
    }

    /** llama.cpp's tokenizer of a GGUF file under testdata. */
    static GgufTokenizer gguf(String relativePath) {
        return GGUF.computeIfAbsent(relativePath, p -> {
            try (ModelSource source = new GgufModelFormat().open(TestData.resolve(p))) {
                return new GgufTokenizerProvider().create(source.path(), source.metadata());
            }
        });
    }

    /** The texts of a llama.cpp {@code .inp} vocabulary test file. */
    static List<String> vocabTestTexts(String relativePath) {
        List<String> texts = new ArrayList<>(Arrays.asList(read(relativePath).split(VOCAB_TEST_SEPARATOR, -1)));
        if (!texts.isEmpty() && texts.getLast().isEmpty()) texts.removeLast();
        return texts;
    }

    /** The ids of a llama.cpp {@code .out} vocabulary test file, one array per line. */
    static List<int[]> vocabTestIds(String relativePath) {
        List<String> lines = new ArrayList<>(Arrays.asList(read(relativePath).split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) lines.removeLast();
        return lines.stream().map(l -> l.strip().isEmpty() ? new int[0]
                : Arrays.stream(l.strip().split(" ")).mapToInt(Integer::parseInt).toArray()).toList();
    }

    static JsonNode json(String relativePath) {
        return HfFixtures.readJson(TestData.resolve(relativePath));
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).intValue();
        return out;
    }

    static String read(String relativePath) {
        try {
            return Files.readString(TestData.resolve(relativePath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
