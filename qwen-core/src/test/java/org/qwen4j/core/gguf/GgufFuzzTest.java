package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Random damage to the header region never escapes as anything but {@code ModelFormatException}. */
class GgufFuzzTest {
    @Test
    void byteFlipsInTheMetadataOfASyntheticFileOpenOrGiveModelFormatException() {
        var built = GgufTruncationTest.metadataOfEveryShape().build();
        byte[] bytes = built.truncated((int) built.at("end_of_infos"));
        var outcome = GgufFuzz.run("synthetic metadata", bytes, 0, bytes.length, 2000);
        // Both outcomes must occur, or the flips are not reaching what they are meant to test.
        assertTrue(outcome.rejected() > 0 && outcome.opened() > 0, outcome.toString());
    }
}
