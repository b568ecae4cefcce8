package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.STRING;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT8;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.ModelFormatException;

/** The fixed header: magic, version, tensor_count, metadata_kv_count. */
class GgufHeaderCorruptionTest {
    @TempDir
    Path dir;

    private static GgufTestFileBuilder.Built small() {
        return new GgufTestFileBuilder()
                .string("general.architecture", "qwen2")
                .u32("qwen2.block_count", 2)
                .array("tokenizer.ggml.tokens", STRING, List.of("a", "b", "ab"))
                .build();
    }

    @Test
    void theSmallFileOpens() {
        try (GgufSource src = Hostile.open(dir, small().bytes())) {
            assertEquals("qwen2", src.metadata().getString("general.architecture"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GGUG", "FUGG", "GGML", "\0\0\0\0", "gguf"})
    void aFileThatDoesNotStartWithGgufIsRejectedAtByteZero(String magic) {
        var built = small();
        System.arraycopy(magic.getBytes(StandardCharsets.ISO_8859_1), 0, built.bytes(), 0, 4);
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("magic", e.field());
        assertEquals(0, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void aFileShorterThanTheMagicIsRejectedAsTruncated(int length) {
        ModelFormatException e = Hostile.rejectsFile(dir, small().truncated(length));
        assertEquals("magic", e.field());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4, 0x0300_0000L, 0xFFFF_FFFFL})
    void unsupportedVersionsAreRejectedNamingTheVersion(long version) {
        ModelFormatException e = Hostile.rejectsFile(dir, small().putU32("version", version));
        assertEquals("version", e.field());
        assertEquals(4, e.offset());
        assertTrue(e.getMessage().contains("version " + version + " "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1L << 40, 1L << 32, -1L, Long.MIN_VALUE})
    void anAbsurdTensorCountIsRejectedAtItsField(long count) {
        ModelFormatException e = Hostile.rejectsFile(dir, small().putU64("tensor_count", count));
        assertEquals("tensor_count", e.field());
        assertEquals(8, e.offset());
        assertTrue(e.getMessage().contains(Long.toUnsignedString(count)), e.getMessage());
    }

    @Test
    void aTensorCountOneAboveWhatTheFileCouldHoldIsRejected() {
        var built = small();
        long fits = (built.size() - 24) / 32; // 32 bytes is the smallest tensor info
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor_count", fits + 1));
        assertEquals("tensor_count", e.field());
        assertEquals(8, e.offset());
    }

    @Test
    void aTensorCountThatFitsTheFileButNotWhatFollowsTheMetadataIsRejectedBeforeReadingInfos() {
        // A long array makes the file big enough that the count passes the check against the whole
        // file; only the bytes left after the metadata show that it lies.
        var built = new GgufTestFileBuilder().array("padding", UINT8, Collections.nCopies(64 * 32, 0)).build();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor_count", 60));
        assertEquals("tensor_count", e.field());
        assertEquals(8, e.offset());
        assertTrue(e.getMessage().contains("after the metadata"), e.getMessage());
    }

    @Test
    void aTensorCountAboveTheLimitIsRejectedEvenWhenTheFileCouldHoldIt(@TempDir Path big) {
        long count = GgufReader.MAX_TENSORS + 1;
        byte[] head = new GgufTestFileBuilder().build().putU64("tensor_count", count).bytes();
        Path file = Hostile.sparse(big, head, 24 + count * 32);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufReader.open(file).close());
        assertEquals("tensor_count", e.field());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1L << 40, 1L << 32, -1L, Long.MIN_VALUE})
    void anAbsurdMetadataCountIsRejectedAtItsField(long count) {
        ModelFormatException e = Hostile.rejectsFile(dir, small().putU64("metadata_kv_count", count));
        assertEquals("metadata_kv_count", e.field());
        assertEquals(16, e.offset());
        assertTrue(e.getMessage().contains(Long.toUnsignedString(count)), e.getMessage());
    }

    @Test
    void aMetadataCountOneAboveWhatTheFileCouldHoldIsRejected() {
        var built = small();
        long fits = (built.size() - 24) / 13; // 13 bytes is the smallest key/value record
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("metadata_kv_count", fits + 1));
        assertEquals("metadata_kv_count", e.field());
        assertEquals(16, e.offset());
    }

    @Test
    void aMetadataCountAboveTheLimitIsRejectedEvenWhenTheFileCouldHoldIt(@TempDir Path big) {
        long count = GgufReader.MAX_KVS + 1;
        byte[] head = new GgufTestFileBuilder().build().putU64("metadata_kv_count", count).bytes();
        Path file = Hostile.sparse(big, head, 24 + count * 13);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufReader.open(file).close());
        assertEquals("metadata_kv_count", e.field());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void aMetadataCountOneHigherThanTheEntriesReadsPastTheLastEntryAndIsRejected() {
        var built = small();
        // Cut the alignment padding off: zero bytes would read as one more key/value (empty key, u8 0).
        int end = (int) built.at("end_of_infos");
        var cut = built.cut(end).putU64("metadata_kv_count", 4);
        ModelFormatException e = Hostile.rejectsFile(dir, cut);
        assertEquals("metadata key #3", e.field());
        assertEquals(end, e.offset(), "the fourth key would start where the file ends");
    }

    @Test
    void aMissingFileGivesModelFormatExceptionNamingIt() {
        Path missing = dir.resolve("missing.gguf");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufReader.open(missing).close());
        assertEquals(missing, e.file());
        assertTrue(e.getMessage().contains("cannot read file"), e.getMessage());
    }

    @Test
    void aDirectoryGivesModelFormatException() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufReader.open(dir).close());
        assertEquals(dir, e.file());
    }
}
