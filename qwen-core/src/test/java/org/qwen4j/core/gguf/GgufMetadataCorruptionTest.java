package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.ARRAY;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.BOOL;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.STRING;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT8;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.arr;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.ModelFormatException;

/** Key/value records: keys, value types, strings, arrays, booleans and general.alignment. */
class GgufMetadataCorruptionTest {
    private static final long[] ABSURD_LENGTHS = {Long.MAX_VALUE, 1L << 62, 1L << 40, -1L, Long.MIN_VALUE};

    @TempDir
    Path dir;

    /** One key of every shape the tests corrupt, after a harmless first key. */
    private static GgufTestFileBuilder.Built file() {
        return new GgufTestFileBuilder()
                .string("general.architecture", "qwen2")
                .string("general.name", "tiny")
                .array("tokenizer.ggml.tokens", STRING, List.of("a", "b", "ab"))
                .array("flags", BOOL, List.of(true, false, true))
                .kv("general.flag", BOOL, true)
                .u32("qwen2.block_count", 2)
                .build();
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1L << 62, 1L << 40, -1L, Long.MIN_VALUE})
    void anAbsurdKeyLengthIsRejectedAtTheKey(long length) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("kv/general.name/key", length));
        assertEquals("metadata key #1", e.field());
        assertEquals(built.at("kv/general.name"), e.offset());
    }

    @Test
    void aKeyLengthOneByteBeyondTheFileIsRejected() {
        var built = file();
        long at = built.at("kv/qwen2.block_count/key");
        long left = built.size() - at - 8;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64At(at, left + 1));
        assertEquals("metadata key #5", e.field());
        assertEquals(at, e.offset());
    }

    @Test
    void aKeyLongerThanTheSpecificationAllowsIsRejectedBeforeItIsRead() {
        String key = "k".repeat(GgufReader.MAX_KEY_BYTES + 1);
        ModelFormatException e = Hostile.rejectsFile(dir, new GgufTestFileBuilder().u32(key, 1).build());
        assertEquals("metadata key #0", e.field());
        assertEquals(24, e.offset());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1L << 62, 1L << 40, -1L, Long.MIN_VALUE})
    void anAbsurdStringValueLengthIsRejectedAtTheValue(long length) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("kv/general.name/value", length));
        assertEquals("general.name", e.field());
        assertEquals(built.at("kv/general.name/value"), e.offset());
    }

    @Test
    void aStringValueLongerThanItsCapIsRejectedEvenWhenTheFileHoldsIt(@TempDir Path big) {
        long length = GgufReader.MAX_VALUE_STRING_BYTES + 1L;
        var head = new GgufTestFileBuilder().string("tokenizer.huggingface.json", "").build();
        long at = head.at("kv/tokenizer.huggingface.json/value");
        byte[] bytes = head.cut(at + 8).putU64At(at, length).bytes();
        Path file = Hostile.sparse(big, bytes, at + 8 + length);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufReader.open(file).close());
        assertEquals("tokenizer.huggingface.json", e.field());
        assertEquals(at, e.offset());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void anAbsurdArrayElementStringLengthIsRejectedNamingTheElement(int index) {
        var built = file();
        long at = built.at("kv/tokenizer.ggml.tokens/value") + 12;
        for (int i = 0; i < index; i++) at += 8 + List.of("a", "b", "ab").get(i).length();
        for (long length : ABSURD_LENGTHS) {
            ModelFormatException e = Hostile.rejectsFile(dir, built.copy().putU64At(at, length));
            assertEquals("tokenizer.ggml.tokens[" + index + "]", e.field());
            assertEquals(at, e.offset());
        }
    }

    @Test
    void anArrayElementStringLongerThanItsCapIsRejectedEvenWhenTheFileHoldsIt(@TempDir Path big) {
        long length = GgufReader.MAX_ELEMENT_STRING_BYTES + 1L;
        var head = new GgufTestFileBuilder().array("tokenizer.ggml.tokens", STRING, List.of("")).build();
        long at = head.at("kv/tokenizer.ggml.tokens/value") + 12;
        byte[] bytes = head.cut(at + 8).putU64At(at, length).bytes();
        Path file = Hostile.sparse(big, bytes, at + 8 + length);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufReader.open(file).close());
        assertEquals("tokenizer.ggml.tokens[0]", e.field());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    /** An absurd array length for each element size: 1, 2, 4, 8 bytes, strings, nested arrays. */
    @ParameterizedTest
    @ValueSource(ints = {UINT8, BOOL, UINT16, UINT32, FLOAT32, UINT64, FLOAT64, STRING, ARRAY})
    void anAbsurdArrayLengthIsRejectedAtTheLengthWhateverTheElementSize(int elementType) {
        for (long length : new long[] {Long.MAX_VALUE, 1L << 62, 1L << 40, 1L << 32, -1L}) {
            var built = new GgufTestFileBuilder().array("a", elementType, List.of()).u32("after", 1).build();
            long countAt = built.at("kv/a/value") + 4;
            ModelFormatException e = Hostile.rejectsFile(dir, built.putU64At(countAt, length));
            assertEquals("a (array length)", e.field());
            assertEquals(countAt, e.offset());
        }
    }

    /** The smallest lie: one element more than the bytes after the length could hold. */
    @ParameterizedTest
    @ValueSource(ints = {UINT8, BOOL, UINT16, UINT32, FLOAT32, UINT64, FLOAT64, STRING, ARRAY})
    void anArrayLengthOneAboveWhatTheFileCouldHoldIsRejected(int elementType) {
        var built = new GgufTestFileBuilder().array("a", elementType, List.of()).build();
        long countAt = built.at("kv/a/value") + 4;
        long left = built.size() - countAt - 8;
        long minBytes = GgufValueType.of(elementType).minBytes;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64At(countAt, left / minBytes + 1));
        assertEquals("a (array length)", e.field());
        assertEquals(countAt, e.offset());
    }

    @Test
    void anArrayLongerThanTheCapIsRejectedEvenWhenTheFileHoldsIt(@TempDir Path big) {
        long length = GgufReader.MAX_ARRAY_LENGTH + 1;
        var head = new GgufTestFileBuilder().array("a", UINT8, List.of()).build();
        long countAt = head.at("kv/a/value") + 4;
        byte[] bytes = head.cut(countAt + 8).putU64At(countAt, length).bytes();
        Path file = Hostile.sparse(big, bytes, countAt + 8 + length);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufReader.open(file).close());
        assertEquals("a", e.field());
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void arraysNestedBeyondTheLimitAreRejected() {
        Object deepest = arr(UINT8, 42);
        for (int depth = 0; depth < GgufReader.MAX_ARRAY_NESTING; depth++) deepest = arr(ARRAY, deepest);
        ModelFormatException e = Hostile.rejectsFile(dir, new GgufTestFileBuilder().kv("deep", ARRAY, deepest).build());
        assertEquals("deep", e.field());
        assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {13, 14, 255, 0x7FFF_FFFFL, 0xFFFF_FFFFL})
    void anUnknownValueTypeIsRejectedAtTheType(long type) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32("kv/qwen2.block_count/type", type));
        assertEquals("qwen2.block_count", e.field());
        assertEquals(built.at("kv/qwen2.block_count/type"), e.offset());
        assertTrue(e.getMessage().contains("type " + type), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {13, 255, 0xFFFF_FFFFL})
    void anUnknownArrayElementTypeIsRejectedAtTheElementType(long type) {
        var built = file();
        long at = built.at("kv/tokenizer.ggml.tokens/value");
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32At(at, type));
        assertEquals("tokenizer.ggml.tokens", e.field());
        assertEquals(at, e.offset());
        assertTrue(e.getMessage().contains("element type " + type), e.getMessage());
    }

    @Test
    void anUnknownElementTypeDeepInsideNestedArraysIsRejected() {
        var built = new GgufTestFileBuilder().kv("n", ARRAY, arr(ARRAY, arr(ARRAY, arr(UINT8, 1)))).build();
        long innermost = built.at("kv/n/value") + 12 + 12;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32At(innermost, 99));
        assertEquals(innermost, e.offset());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 0x7F, 0x80, 0xFF})
    void aBooleanThatIsNeitherZeroNorOneIsRejected(int value) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU8At(built.at("kv/general.flag/value"), value));
        assertEquals("general.flag", e.field());
        assertEquals(built.at("kv/general.flag/value"), e.offset());
        assertTrue(e.getMessage().contains("boolean value " + value), e.getMessage());
    }

    @Test
    void aBooleanArrayElementThatIsNeitherZeroNorOneIsRejectedNamingTheElement() {
        var built = file();
        long at = built.at("kv/flags/value") + 12 + 2;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU8At(at, 2));
        assertEquals("flags[2]", e.field());
        assertEquals(at, e.offset());
    }

    @Test
    void aDuplicateKeyIsRejectedAtItsSecondOccurrence() {
        var built = new GgufTestFileBuilder().u32("qwen2.block_count", 2).string("x", "y").u32("qwen2.block_count", 3)
                .build();
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("qwen2.block_count", e.field());
        assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
        // The builder's offsets map keeps the later of two equal keys.
        assertEquals(built.at("kv/qwen2.block_count"), e.offset());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 96, (1L << 30) + 1, 1L << 31, 0xFFFF_FFFFL})
    void anAlignmentThatIsNotAPowerOfTwoUpTo2To30IsRejected(long alignment) {
        var built = new GgufTestFileBuilder().u32("general.alignment", alignment).build();
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("general.alignment", e.field());
        assertEquals(built.at("kv/general.alignment/value"), e.offset());
        assertTrue(e.getMessage().contains("got " + alignment), e.getMessage());
    }

    @Test
    void aNegativeSignedAlignmentIsRejected() {
        ModelFormatException e = Hostile.rejectsFile(dir, new GgufTestFileBuilder().kv("general.alignment", INT32, -32).build());
        assertEquals("general.alignment", e.field());
        assertTrue(e.getMessage().contains("got -32"), e.getMessage());
    }

    @Test
    void anAlignmentOfTheWrongTypeIsRejectedNamingTheType() {
        List<GgufTestFileBuilder> wrong = List.of(
                new GgufTestFileBuilder().string("general.alignment", "32"),
                new GgufTestFileBuilder().kv("general.alignment", FLOAT32, 32f),
                new GgufTestFileBuilder().kv("general.alignment", FLOAT64, 32.0),
                new GgufTestFileBuilder().kv("general.alignment", BOOL, true),
                new GgufTestFileBuilder().array("general.alignment", UINT32, List.of(32)));
        for (GgufTestFileBuilder b : wrong) {
            var built = b.build();
            ModelFormatException e = Hostile.rejectsFile(dir, built);
            assertEquals("general.alignment", e.field());
            assertEquals(built.at("kv/general.alignment/value"), e.offset());
            assertTrue(e.getMessage().contains("must be an integer"), e.getMessage());
        }
    }
}
