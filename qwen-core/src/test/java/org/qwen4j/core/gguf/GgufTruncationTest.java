package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.ARRAY;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.BOOL;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.STRING;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT8;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.arr;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.ModelFormatException;
import org.qwen4j.core.testing.TestData;

/**
 * A file cut short anywhere is rejected with a {@link ModelFormatException} that points at or before
 * the cut. Cuts of the real fixtures are parsed as slices of one heap copy, so that every offset of
 * a 127 KB header costs no file writes and no copies.
 */
class GgufTruncationTest {
    @TempDir
    Path dir;

    /** Metadata of every shape, so that the cuts land inside every kind of field. */
    static GgufTestFileBuilder metadataOfEveryShape() {
        return new GgufTestFileBuilder()
                .string("general.architecture", "qwen2")
                .kv("general.flag", BOOL, true)
                .kv("i16", INT16, -7)
                .kv("f32", FLOAT32, 0.5f)
                .kv("f64", FLOAT64, 2.5)
                .kv("u64", UINT64, 1L << 40)
                .array("tokenizer.ggml.tokens", STRING, List.of("a", "bc", "", "def"))
                .array("bytes", UINT8, List.of(1, 2, 3))
                .array("bools", BOOL, List.of(true, false))
                .array("nested", ARRAY, List.of(arr(UINT8, 9), arr(STRING, "x", "yz")));
    }

    @Test
    void everyCutOfASyntheticFileInsideItsMetadataIsRejected() {
        var built = metadataOfEveryShape().build();
        long end = built.at("end_of_infos");
        try (GgufSource whole = Hostile.open(dir, built.truncated((int) end))) {
            assertEquals(10, whole.metadata().keys().size(), "the uncut metadata opens");
        }
        for (int cut = 0; cut < end; cut++) {
            ModelFormatException e = Hostile.rejectsFile(dir, built.truncated(cut));
            assertCutIsNamed(e, cut);
        }
    }

    @Test
    void cutsOfTheVocabularyFileAreRejected() throws IOException {
        byte[] bytes = Files.readAllBytes(TestData.resolve("tokenizer/ggml-vocab-qwen2.gguf"));
        MemorySegment whole = MemorySegment.ofArray(bytes);
        // Every offset of the fixed header and the first tokens, then a seeded sample of the 5.9 MB of
        // vocabulary: a full parse takes tens of milliseconds, so every offset would take hours.
        LongStream head = LongStream.range(0, 2048);
        LongStream sample = new SplittableRandom(20_240_601).longs(48, 2048, bytes.length);
        LongStream.concat(head, LongStream.concat(sample, LongStream.of(bytes.length - 1)))
                .forEach(cut -> assertCutRejected(whole, cut));
    }

    static void assertCutRejected(MemorySegment whole, long cut) {
        try (GgufSource src = GgufReader.parse(Hostile.IN_MEMORY, whole.asSlice(0, cut), Arena.ofConfined())) {
            fail("a cut at byte " + cut + " opened with " + src.tensors().size() + " tensors");
        } catch (ModelFormatException e) {
            assertCutIsNamed(e, cut);
        } catch (Throwable t) {
            throw new AssertionError("a cut at byte " + cut + " threw " + t, t);
        }
    }

    static void assertCutIsNamed(ModelFormatException e, long cut) {
        if (e.offset() < 0 || e.offset() > cut) {
            fail("a cut at byte " + cut + " was reported at byte " + e.offset() + ": " + e.getMessage());
        }
        assertTrue(e.field() != null && !e.field().isEmpty(), e.getMessage());
    }
}
