package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.ARRAY;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.BOOL;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.INT8;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.STRING;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT8;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.arr;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.core.format.F32Format;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.Tensor;

/**
 * The GGUF writer: files that llama.cpp's tools wrote come back byte for byte, every metadata value
 * type survives, the value types are the ones llama.cpp's loader demands, and a file appears only
 * when its data is complete.
 */
class GgufWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"models/tiny-qwen2/tiny-qwen2-f32.gguf", "models/tiny-qwen2/tiny-qwen2-f16.gguf",
            "models/tiny-qwen2/tiny-qwen2-bf16.gguf", "models/tiny-qwen3/tiny-qwen3-f32.gguf",
            "tokenizer/ggml-vocab-qwen2.gguf"})
    void readingAFixtureAndWritingItBackGivesTheSameBytes(String fixture) throws IOException {
        Path in = TestData.resolve(fixture);
        Path out = dir.resolve("copy.gguf");
        try (GgufSource src = GgufReader.open(in)) {
            GgufWriter.write(out, src.metadata().asMap(), src.tensors().values());
        }
        assertEquals(-1, Files.mismatch(in, out), "first differing byte");
    }

    @Test
    void everyMetadataValueTypeReadsBackWithTheSameValue() throws IOException {
        var built = new GgufTestFileBuilder()
                .kv("u8", UINT8, 255).kv("i8", INT8, -128).kv("u16", UINT16, 65_535).kv("i16", INT16, -32_768)
                .kv("u32", UINT32, 4_294_967_295L).kv("i32", INT32, Integer.MIN_VALUE)
                .kv("u64", UINT64, -1L).kv("i64", INT64, Long.MIN_VALUE).kv("big", UINT64, 1L << 40)
                .kv("f32", FLOAT32, 1.5f).kv("yes", BOOL, true).kv("no", BOOL, false)
                .string("s", "héllo ✓").string("empty", "")
                .array("strings", STRING, List.of("a", "", "ü"))
                .array("ints", INT32, List.of(-3, 151_643))
                .array("wide", INT64, List.of(Long.MAX_VALUE, -1L))
                .array("floats", FLOAT32, List.of(0.25f, -2f))
                .array("bools", BOOL, List.of(true, false))
                .array("nested", ARRAY, List.of(arr(INT32, 1, 2), arr(STRING, "x")))
                .array("none", UINT8, List.of())
                .f32Tensor("t", 4, 2)
                .build();
        Path original = Hostile.write(dir, built.bytes());
        Path copy = dir.resolve("copy.gguf");
        try (GgufSource src = GgufReader.open(original)) {
            GgufWriter.write(copy, src.metadata().asMap(), src.tensors().values());
            try (GgufSource back = GgufReader.open(copy)) {
                assertSameMetadata(src.metadata(), back.metadata());
                assertEquals(-1, back.tensor("t").data().mismatch(src.tensor("t").data()));
            }
        }
    }

    @Test
    void aFloat64ValueIsWrittenAsFloat32BecauseLlamaCppReadsFloatKeysAsF32() throws IOException {
        Path file = write(Map.of("x.rope.freq_base", Math.PI));
        assertEquals(FLOAT32, typeCodeOf(file, "x.rope.freq_base"));
        try (GgufSource src = GgufReader.open(file)) {
            assertEquals((double) (float) Math.PI, src.metadata().getDouble("x.rope.freq_base"));
        }
    }

    @Test
    void valueTypesAreTheOnesLlamaCppExpects() throws IOException {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", "qwen2");
        md.put("qwen2.block_count", 24L);
        md.put("qwen2.rope.freq_base", 1e6);
        md.put("qwen2.attention.layer_norm_rms_epsilon", 1e-6);
        md.put("general.alignment", 64L);
        md.put("general.sampling.top_k", 20L);
        md.put("tokenizer.ggml.token_type", new long[] {1, 3, 4});
        md.put("tokenizer.ggml.scores", new double[] {0.5, -1e-7});
        md.put("tokenizer.ggml.add_bos_token", false);
        Path file = write(md);
        assertEquals(UINT32, typeCodeOf(file, "qwen2.block_count"));
        assertEquals(FLOAT32, typeCodeOf(file, "qwen2.rope.freq_base"));
        assertEquals(FLOAT32, typeCodeOf(file, "qwen2.attention.layer_norm_rms_epsilon"));
        assertEquals(UINT32, typeCodeOf(file, "general.alignment"));
        assertEquals(INT32, typeCodeOf(file, "general.sampling.top_k"));
        assertEquals(ARRAY, typeCodeOf(file, "tokenizer.ggml.token_type"));
        assertEquals(INT32, elementTypeCodeOf(file, "tokenizer.ggml.token_type"));
        assertEquals(FLOAT32, elementTypeCodeOf(file, "tokenizer.ggml.scores"));
        assertEquals(BOOL, typeCodeOf(file, "tokenizer.ggml.add_bos_token"));
    }

    @Test
    void tensorDataStartsAtMultiplesOfTheAlignmentTheMetadataSets() throws IOException {
        float[] a = {1, 2, 3};
        float[] b = {4, 5};
        Path file = dir.resolve("aligned.gguf");
        List<GgufTensorInfo> infos = List.of(new GgufTensorInfo("a", new F32Format(), new long[] {3}),
                new GgufTensorInfo("b", new F32Format(), new long[] {2}));
        try (GgufWriter w = GgufWriter.create(file, Map.of("general.alignment", 64L), infos)) {
            w.write(floats(a));
            w.write(floats(b));
        }
        try (GgufSource src = GgufReader.open(file)) {
            assertEquals(0, src.dataOffset() % 64);
            assertEquals(64, src.tensor("b").data().address() - src.tensor("a").data().address());
            assertArrayEquals(b, src.tensor("b").toFloatArray());
            assertEquals(src.dataOffset() + 128, Files.size(file), "the last tensor is padded too");
        }
    }

    @Test
    void aTensorWrittenInPiecesGivesTheSameFileAsInOnePiece() throws IOException {
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) values[i] = i * 0.5f;
        List<GgufTensorInfo> infos = List.of(new GgufTensorInfo("w", new F32Format(), new long[] {16, 4}));
        Path whole = dir.resolve("whole.gguf");
        Path pieces = dir.resolve("pieces.gguf");
        try (GgufWriter w = GgufWriter.create(whole, Map.of("k", "v"), infos)) {
            w.write(floats(values));
        }
        try (GgufWriter w = GgufWriter.create(pieces, Map.of("k", "v"), infos)) {
            MemorySegment all = floats(values);
            for (long off = 0; off < all.byteSize(); off += 40) {
                w.write(all.asSlice(off, Math.min(40, all.byteSize() - off)));
            }
        }
        assertEquals(-1, Files.mismatch(whole, pieces));
    }

    @Test
    void closingBeforeEveryTensorIsWrittenLeavesNoFile() throws IOException {
        Path file = dir.resolve("partial.gguf");
        List<GgufTensorInfo> infos = List.of(new GgufTensorInfo("a", new F32Format(), new long[] {4}),
                new GgufTensorInfo("b", new F32Format(), new long[] {4}));
        GgufWriter w = GgufWriter.create(file, Map.of(), infos);
        w.write(floats(new float[4]));
        IllegalStateException e = assertThrows(IllegalStateException.class, w::close);
        assertTrue(e.getMessage().contains("b"), e.getMessage());
        assertFalse(Files.exists(file));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the .part file is deleted too");
        }
    }

    @Test
    void aWriteThatRunsPastItsTensorIsRejected() throws IOException {
        List<GgufTensorInfo> infos = List.of(new GgufTensorInfo("a", new F32Format(), new long[] {2}),
                new GgufTensorInfo("b", new F32Format(), new long[] {2}));
        GgufWriter w = GgufWriter.create(dir.resolve("x.gguf"), Map.of(), infos);
        assertThrows(IllegalArgumentException.class, () -> w.write(floats(new float[3])));
        assertThrows(IllegalStateException.class, w::close);
    }

    @Test
    void duplicateTensorNamesAndUnstorableValuesAreRejectedBeforeAFileIsCreated() {
        List<GgufTensorInfo> twice = List.of(new GgufTensorInfo("a", new F32Format(), new long[] {2}),
                new GgufTensorInfo("a", new F32Format(), new long[] {2}));
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.create(dir.resolve("d.gguf"), Map.of(), twice));
        assertThrows(IllegalArgumentException.class,
                () -> GgufWriter.create(dir.resolve("v.gguf"), Map.of("k", 3), List.of()), "an Integer is not a Metadata type");
        assertThrows(IllegalArgumentException.class,
                () -> GgufWriter.create(dir.resolve("g.gguf"), Map.of("general.alignment", 48L), List.of()));
        assertFalse(Files.exists(dir.resolve("d.gguf.part")));
    }

    private Path write(Map<String, ?> metadata) throws IOException {
        Path file = Files.createTempFile(dir, "md", ".gguf");
        try (GgufWriter w = GgufWriter.create(file, metadata, List.of())) {
            assertEquals(null, w.nextTensor());
        }
        return file;
    }

    private static MemorySegment floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return MemorySegment.ofArray(b.array());
    }

    /** The type code that follows {@code key} in the file's header. */
    private static int typeCodeOf(Path file, String key) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        return b.getInt(afterKey(b, key));
    }

    /** The element type code of the array stored under {@code key}. */
    private static int elementTypeCodeOf(Path file, String key) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        return b.getInt(afterKey(b, key) + 4);
    }

    private static int afterKey(ByteBuffer b, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] all = b.array();
        outer:
        for (int i = 8; i + k.length <= all.length; i++) {
            if (b.getLong(i - 8) != k.length) continue;
            for (int j = 0; j < k.length; j++) {
                if (all[i + j] != k[j]) continue outer;
            }
            return i + k.length;
        }
        throw new AssertionError("key " + key + " not found");
    }

    private static void assertSameMetadata(Metadata expected, Metadata actual) {
        assertEquals(List.copyOf(expected.keys()), List.copyOf(actual.keys()));
        for (String key : expected.keys()) {
            assertTrue(deepEquals(expected.get(key), actual.get(key)), key + ": " + expected.get(key) + " != " + actual.get(key));
        }
    }

    private static boolean deepEquals(Object a, Object b) {
        return java.util.Objects.deepEquals(a, b);
    }
}
