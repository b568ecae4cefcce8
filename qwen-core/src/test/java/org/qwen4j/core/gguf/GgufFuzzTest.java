package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.qwen4j.core.testing.TestData;

/**
 * Random damage to the header region never escapes as anything but {@code ModelFormatException}.
 * Both outcomes must occur in each run, or the flips are not reaching what they are meant to test.
 */
class GgufFuzzTest {
    @Test
    void byteFlipsInTheMetadataOfASyntheticFileOpenOrGiveModelFormatException() {
        var built = GgufTruncationTest.metadataOfEveryShape().build();
        byte[] bytes = built.truncated((int) built.at("end_of_infos"));
        var outcome = GgufFuzz.run("synthetic metadata", bytes, new long[][] {{0, bytes.length}}, 2000);
        assertTrue(outcome.rejected() > 0 && outcome.opened() > 0, outcome.toString());
    }

    @Test
    void byteFlipsInTheHeaderOfASyntheticModelOpenOrGiveModelFormatException() {
        var built = GgufTruncationTest.modelOfEveryShape();
        long infos = built.at("tensor/token_embd.weight");
        var outcome = GgufFuzz.run("synthetic model", built.bytes(),
                new long[][] {{0, built.at("data")}, {infos, built.at("data")}}, 2000);
        assertTrue(outcome.rejected() > 0 && outcome.opened() > 0, outcome.toString());
    }

    @Test
    void byteFlipsInTheHeaderOfTheTinyModelOpenOrGiveModelFormatException() throws IOException {
        byte[] bytes = Files.readAllBytes(TestData.resolve("models/tiny-qwen2/tiny-qwen2-f32.gguf"));
        long dataStart;
        try (GgufSource src = Hostile.parse(bytes)) {
            dataStart = src.dataOffset();
        }
        // Two thirds of the flips go to the fixed header and the scalar keys and tensor infos at either
        // end; uniform flips would nearly all land in the 115 KB of token and merge strings.
        long[][] regions = {{0, 4096}, {dataStart - 4608, dataStart}, {0, dataStart}};
        var outcome = GgufFuzz.run("tiny-qwen2-f32", bytes, regions, 2000);
        assertTrue(outcome.rejected() > 0 && outcome.opened() > 0, outcome.toString());
    }
}
