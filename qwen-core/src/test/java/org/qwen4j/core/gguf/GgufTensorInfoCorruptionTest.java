package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.GGML_BF16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.GGML_F16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.GGML_F32;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.ModelFormatException;
import org.qwen4j.core.testing.TestData;

/** Tensor infos: names, dimensions, ggml types, data offsets and sizes. */
class GgufTensorInfoCorruptionTest {
    @TempDir
    Path dir;

    /** Three tensors of the installed formats; "d" has four dimensions to corrupt. */
    private static GgufTestFileBuilder.Built file() {
        return new GgufTestFileBuilder()
                .string("general.architecture", "qwen2")
                .f32Tensor("a", 4, 3)
                .tensor("h", GGML_F16, new long[] {8}, new byte[16])
                .tensor("d", GGML_BF16, new long[] {2, 1, 1, 1}, new byte[4])
                .build();
    }

    @Test
    void theUncorruptedFileOpens() {
        try (GgufSource src = Hostile.open(dir, file().bytes())) {
            assertEquals(3, src.tensors().size());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, 1L << 40, -1L})
    void anAbsurdTensorNameLengthIsRejectedAtTheName(long length) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor/h", length));
        assertEquals("tensor #1 name", e.field());
        assertEquals(built.at("tensor/h"), e.offset());
    }

    @Test
    void aTensorNameLongerThanGgmlAllowsIsRejected() {
        String name = "t".repeat(GgufReader.MAX_TENSOR_NAME_BYTES + 1);
        ModelFormatException e = Hostile.rejectsFile(dir, new GgufTestFileBuilder().f32Tensor(name, 1).build());
        assertEquals("tensor #0 name", e.field());
        assertTrue(e.getMessage().contains("exceeds the limit of 63 bytes"), e.getMessage());
    }

    @Test
    void aDuplicateTensorNameIsRejectedAtItsSecondOccurrence() {
        var built = new GgufTestFileBuilder().f32Tensor("w", 2).f32Tensor("x", 2).f32Tensor("w", 2).build();
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("w", e.field());
        assertTrue(e.getMessage().contains("duplicate tensor name"), e.getMessage());
        assertEquals(built.at("tensor/w"), e.offset(), "the builder records the later of two equal names");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 5, 64, 0xFFFF_FFFFL})
    void aDimensionCountOutsideOneToFourIsRejected(long nDims) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32("tensor/h/n_dims", nDims));
        assertEquals("h n_dims", e.field());
        assertEquals(built.at("tensor/h/n_dims"), e.offset());
        assertTrue(e.getMessage().contains("has " + nDims + " dimensions"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, 1L << 31, 1L << 40, Long.MAX_VALUE})
    void aDimensionThatIsZeroNegativeOrHugeIsRejected(long dim) {
        var built = file();
        long at = built.at("tensor/a/dims") + 8;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64At(at, dim));
        assertEquals("a dim 1", e.field());
        assertEquals(at, e.offset());
        assertTrue(e.getMessage().contains(Long.toUnsignedString(dim)), e.getMessage());
    }

    @Test
    void dimensionsWhoseProductOverflowsAreRejectedAtTheDimensionThatOverflows() {
        var built = file();
        long dims = built.at("tensor/d/dims");
        for (int d = 0; d < 4; d++) built.putU64At(dims + 8L * d, Integer.MAX_VALUE);
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("d dim 2", e.field(), "(2^31-1)^2 fits in 63 bits, (2^31-1)^3 does not");
        assertEquals(dims + 16, e.offset());
    }

    /**
     * (2^31-1)^2 * 2 elements fit in a long but their 4-byte F32 size does not: the size must not wrap
     * around to a small or negative number that then passes the bounds check (it used to, and
     * MemorySegment.asSlice threw IndexOutOfBoundsException).
     */
    @Test
    void aDataSizeThatOverflows64BitsIsRejected() {
        var built = new GgufTestFileBuilder().string("general.architecture", "qwen2")
                .tensorInfo("a", GGML_F32, new long[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 2}, 0)
                .f32Tensor("h", 8).build();
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("a dims", e.field());
        assertEquals(built.at("tensor/a/n_dims"), e.offset());
        assertTrue(e.getMessage().contains("more than 2^63"), e.getMessage());
    }

    @Test
    void aDataSizeLargerThanTheWholeFileIsRejectedAtTheDimensions() {
        var built = file();
        long dims = built.at("tensor/a/dims");
        built.putU64At(dims, 1 << 20).putU64At(dims + 8, 1 << 20);
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("a dims", e.field());
        assertTrue(e.getMessage().contains("4398046511104 bytes, more than the whole file"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 31, 33, 42, 9999, 0x7FFF_FFFFL, 0xFFFF_FFFFL})
    void aTensorTypeThatIsNotAGgmlTypeIsRejected(long type) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32("tensor/h/type", type));
        assertEquals("h type", e.field());
        assertEquals(built.at("tensor/h/type"), e.offset());
        assertTrue(e.getMessage().contains("tensor type " + type + " is not a ggml type"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 8, 10, 12, 14, 20, 28, 39, 41})
    void aGgmlTypeWithoutAnInstalledFormatIsRejectedNamingTheType(int type) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU32("tensor/h/type", type));
        assertEquals("h type", e.field());
        assertEquals(built.at("tensor/h/type"), e.offset());
        assertTrue(e.getMessage().matches(".*tensor type " + type + " \\([A-Z0-9_]+\\) is not supported.*"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2-q8_0.gguf:Q8_0", "tiny-qwen2-q4_0.gguf:Q4_0"})
    void aQuantizedFixtureIsRejectedUntilItsFormatIsInstalled(String fixtureAndType) {
        String[] parts = fixtureAndType.split(":");
        Path file = TestData.resolve("models/tiny-qwen2/" + parts[0]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufReader.open(file).close());
        assertEquals("token_embd.weight type", e.field());
        assertTrue(e.getMessage().contains("(" + parts[1] + ") is not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("qwen-quant"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, -32, Long.MIN_VALUE, Long.MAX_VALUE & ~31L, 1L << 40})
    void anOffsetBeyondAnyFileIsRejectedAtTheOffset(long offset) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor/h/offset", offset));
        assertEquals("h offset", e.field());
        assertEquals(built.at("tensor/h/offset"), e.offset());
        assertTrue(e.getMessage().contains("past the end"), e.getMessage());
    }

    @Test
    void anOffsetWithinTheFileButPastTheDataIsRejected() {
        var built = file();
        long pastData = built.size() - built.at("data") + 32 - (built.size() - built.at("data")) % 32;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor/h/offset", pastData));
        assertEquals("h offset", e.field());
        assertEquals(built.at("tensor/h/offset"), e.offset());
        assertTrue(e.getMessage().contains("from the data section"), e.getMessage());
    }

    @Test
    void dataThatStartsInTheFileButRunsPastItsEndIsRejected() {
        var built = file();
        // "a" is 48 bytes; its last aligned start whose first byte is still in the file.
        long lastStart = (built.size() - built.at("data") - 1) / 32 * 32;
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor/a/offset", lastStart));
        assertEquals("a offset", e.field());
        assertTrue(e.getMessage().contains("tensor data of 48 bytes at offset " + lastStart), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 4, 16, 31, 33})
    void anOffsetThatIsNotAMultipleOfTheAlignmentIsRejected(long offset) {
        var built = file();
        ModelFormatException e = Hostile.rejectsFile(dir, built.putU64("tensor/h/offset", offset));
        assertEquals("h offset", e.field());
        assertTrue(e.getMessage().contains("not a multiple of the alignment 32"), e.getMessage());
    }

    @Test
    void offsetsLaidOutForTheDefaultAlignmentAreRejectedUnderALargerDeclaredOne() {
        var built = new GgufTestFileBuilder().u32("general.alignment", 64).f32Tensor("a", 3).f32Tensor("b", 3).build();
        ModelFormatException e = Hostile.rejectsFile(dir, built);
        assertEquals("b offset", e.field());
        assertTrue(e.getMessage().contains("offset 32 is not a multiple of the alignment 64"), e.getMessage());
    }

}
