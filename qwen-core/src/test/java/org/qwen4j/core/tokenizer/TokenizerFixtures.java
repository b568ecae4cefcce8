package org.qwen4j.core.tokenizer;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.qwen4j.spi.ModelSource;

/** Tokenizers and expectations read from the repository's {@code testdata/} folder, each loaded once. */
final class TokenizerFixtures {
    static final String QWEN2_VOCAB = "tokenizer/ggml-vocab-qwen2.gguf";
    static final String QWEN35_VOCAB = "tokenizer/ggml-vocab-qwen35.gguf";
    static final String TINY_QWEN2 = "models/tiny-qwen2/tiny-qwen2-f32.gguf";

    private static final String VOCAB_TEST_SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<String, GgufTokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFixtures() {
    }

    /** The tokenizer of a GGUF file under testdata, built through the GGUF reader and the provider. */
    static GgufTokenizer tokenizer(String relativePath) {
        return TOKENIZERS.computeIfAbsent(relativePath, p -> {
            try (ModelSource source = new GgufModelFormat().open(TestData.resolve(p))) {
                return new GgufTokenizerProvider().create(source.path(), source.metadata());
            }
        });
    }

    /** A newly built tokenizer of a GGUF file under testdata, not shared with other tests. */
    static GgufTokenizer tokenizerWithoutCache(String relativePath) {
        try (ModelSource source = new GgufModelFormat().open(TestData.resolve(relativePath))) {
            return new GgufTokenizerProvider().create(source.path(), source.metadata());
        }
    }

    /** The tokenizer of an F32 model file (qwen-core reads F32 tensors; quantized fixtures are tested in qwen-examples). */
    static GgufTokenizer modelTokenizer(String relativePath) {
        return tokenizer(relativePath);
    }

    /** The texts of a llama.cpp {@code .inp} vocabulary test file, in order. */
    static List<String> vocabTestTexts(String relativePath) {
        String all = read(relativePath);
        List<String> texts = new ArrayList<>(Arrays.asList(all.split(VOCAB_TEST_SEPARATOR, -1)));
        // The file ends with the separator, which leaves one empty piece that is not a test.
        if (!texts.isEmpty() && texts.getLast().isEmpty()) texts.removeLast();
        return texts;
    }

    /** The ids of a llama.cpp {@code .out} vocabulary test file, one array per line. */
    static List<int[]> vocabTestIds(String relativePath) {
        List<String> lines = new ArrayList<>(Arrays.asList(read(relativePath).split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) lines.removeLast();
        return lines.stream().map(TokenizerFixtures::ids).toList();
    }

    private static int[] ids(String line) {
        String s = line.strip();
        return s.isEmpty() ? new int[0] : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    static JsonNode json(String relativePath) {
        try {
            return JSON.readTree(TestData.resolve(relativePath).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] intArray(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).intValue();
        return out;
    }

    private static String read(String relativePath) {
        try {
            return Files.readString(TestData.resolve(relativePath), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path path(String relativePath) {
        return TestData.resolve(relativePath);
    }
}
