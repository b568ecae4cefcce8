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
 * the cut. The synthetic files are cut at every byte and opened from disk; cuts of the real fixtures
 * are parsed as slices of one heap copy, so that ~12,000 cuts cost no file writes and no copies.
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

    /** Every shape of metadata, tensors of each installed format, and a larger declared alignment. */
    static GgufTestFileBuilder.Built modelOfEveryShape() {
        return metadataOfEveryShape()
                .alignment(64)
                .f32Tensor("token_embd.weight", 4, 3)
                .tensor("blk.0.attn_q.weight", GgufTestFileBuilder.GGML_F16, new long[] {2, 2, 2}, new byte[16])
                .tensor("output_norm.weight", GgufTestFileBuilder.GGML_BF16, new long[] {4}, new byte[8])
                .build();
    }

    @Test
    void everyCutOfASyntheticModelBeforeTheEndOfItsLastTensorIsRejected() {
        var built = modelOfEveryShape();
        long end = built.at("end_of_data");
        try (GgufSource whole = Hostile.open(dir, built.truncated((int) end))) {
            assertEquals(3, whole.tensors().size(), "the file cut right after the last tensor still opens");
        }
        for (int cut = 0; cut < end; cut++) {
            ModelFormatException e = Hostile.rejectsFile(dir, built.truncated(cut));
            assertCutIsNamed(e, cut);
        }
    }

    /**
     * Every cut through the fixed header, the first scalar keys and the start of the vocabulary, and
     * through the last 4.5 KB of the header (end of the merges, the scalar keys after them, the chat
     * template and all tensor infos); a seeded sample of the 115 KB of token and merge strings between,
     * which are one code path repeated; a sample of the tensor data. Every cut would take a minute: each
     * parse reads everything before the cut, ~0.4 ms for the whole header.
     */
    @Test
    void cutsThroughTheTinyModelsHeaderAndDataAreRejected() throws IOException {
        byte[] bytes = Files.readAllBytes(TestData.resolve("models/tiny-qwen2/tiny-qwen2-f32.gguf"));
        MemorySegment whole = MemorySegment.ofArray(bytes);
        long dataStart;
        long dataEnd = 0;
        try (GgufSource src = GgufReader.parse(Hostile.IN_MEMORY, whole, Arena.ofConfined())) {
            dataStart = src.dataOffset();
            for (var t : src.tensors().values()) {
                dataEnd = Math.max(dataEnd, t.data().address() - whole.address() + t.data().byteSize());
            }
        }
        assertEquals(bytes.length, dataEnd, "the last tensor ends the file, so every cut loses data");
        long tail = dataStart - 4608;
        long firstInfo = indexOf(bytes, "token_embd.weight") - 8;
        assertTrue(tail < firstInfo - 1000, "the tail window starts " + (firstInfo - tail) + " bytes before the tensor infos");

        for (long cut = 0; cut < 4096; cut++) assertCutRejected(whole, cut);
        new SplittableRandom(11).longs(1500, 4096, tail).forEach(cut -> assertCutRejected(whole, cut));
        for (long cut = tail; cut <= dataStart; cut++) assertCutRejected(whole, cut);
        new SplittableRandom(7).longs(64, dataStart + 1, bytes.length).forEach(cut -> assertCutRejected(whole, cut));
        assertCutRejected(whole, bytes.length - 1);
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) if (haystack[i + j] != n[j]) continue outer;
            return i;
        }
        throw new AssertionError(needle + " not found");
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
