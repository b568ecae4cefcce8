package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.ARRAY;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.BOOL;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT64;
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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.spi.Metadata;

/**
 * The positive side of the corpus: files from {@link GgufTestFileBuilder} open, with every value
 * type read back as written. Without it a corruption test could pass because the builder wrote
 * nonsense to begin with.
 */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void scalarsOfEveryValueTypeReadBackAsWritten(int version) {
        var built = new GgufTestFileBuilder().version(version)
                .kv("u8", UINT8, 255).kv("i8", INT8, -128)
                .kv("u16", UINT16, 65_535).kv("i16", INT16, -32_768)
                .kv("u32", UINT32, 4_294_967_295L).kv("i32", INT32, Integer.MIN_VALUE)
                .kv("u64", UINT64, -1L).kv("i64", INT64, Long.MIN_VALUE)
                .kv("f32", FLOAT32, 1.5f).kv("f64", FLOAT64, Math.PI)
                .kv("yes", BOOL, true).kv("no", BOOL, false)
                .string("s", "héllo ✓").string("empty", "")
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Metadata m = src.metadata();
            assertEquals(version, src.version());
            assertEquals(255, m.getLong("u8"));
            assertEquals(-128, m.getLong("i8"));
            assertEquals(65_535, m.getLong("u16"));
            assertEquals(-32_768, m.getLong("i16"));
            assertEquals(4_294_967_295L, m.getLong("u32"));
            assertEquals(Integer.MIN_VALUE, m.getLong("i32"));
            assertEquals(-1L, m.getLong("u64"), "u64 keeps its bits in a signed long");
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(1.5, m.getDouble("f32"));
            assertEquals(Math.PI, m.getDouble("f64"));
            assertEquals(true, m.getBoolean("yes", false));
            assertEquals(false, m.getBoolean("no", true));
            assertEquals("héllo ✓", m.getString("s"));
            assertEquals("", m.getString("empty"));
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "yes", "no",
                    "s", "empty"), List.copyOf(m.keys()), "keys keep file order");
        }
    }

    @Test
    void arraysOfEveryElementTypeReadBackAsWritten() {
        var built = new GgufTestFileBuilder()
                .array("u8", UINT8, List.of(0, 1, 255))
                .array("i8", INT8, List.of(-1, 127))
                .array("u16", UINT16, List.of(65_535))
                .array("i16", INT16, List.of(-2))
                .array("u32", UINT32, List.of(4_294_967_295L, 7))
                .array("i32", INT32, List.of(-3, 151_643))
                .array("u64", UINT64, List.of(-1L))
                .array("i64", INT64, List.of(Long.MAX_VALUE))
                .array("f32", FLOAT32, List.of(0.25f, -2f))
                .array("f64", FLOAT64, List.of(1e300))
                .array("bools", BOOL, List.of(true, false, true))
                .array("strings", STRING, List.of("a", "", "Ġthe"))
                .array("none", UINT32, List.of())
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Metadata m = src.metadata();
            assertArrayEquals(new long[] {0, 1, 255}, m.getLongArray("u8"));
            assertArrayEquals(new long[] {-1, 127}, m.getLongArray("i8"));
            assertArrayEquals(new long[] {65_535}, m.getLongArray("u16"));
            assertArrayEquals(new long[] {-2}, m.getLongArray("i16"));
            assertArrayEquals(new long[] {4_294_967_295L, 7}, m.getLongArray("u32"));
            assertArrayEquals(new long[] {-3, 151_643}, m.getLongArray("i32"));
            assertArrayEquals(new long[] {-1}, m.getLongArray("u64"));
            assertArrayEquals(new long[] {Long.MAX_VALUE}, m.getLongArray("i64"));
            assertArrayEquals(new double[] {0.25, -2}, m.getDoubleArray("f32"));
            assertArrayEquals(new double[] {1e300}, m.getDoubleArray("f64"));
            assertArrayEquals(new boolean[] {true, false, true}, (boolean[]) m.get("bools"));
            assertArrayEquals(new String[] {"a", "", "Ġthe"}, m.getStringArray("strings"));
            assertArrayEquals(new long[0], m.getLongArray("none"));
        }
    }

    /** Arrays of 64 or more elements are copied in one piece; values at each type's extremes. */
    @Test
    void longArraysOfEveryElementTypeReadBackAsWritten() {
        int n = 1000;
        long[] u8 = new long[n], i8 = new long[n], u16 = new long[n], i16 = new long[n];
        long[] u32 = new long[n], i32 = new long[n], i64 = new long[n];
        double[] f32 = new double[n], f64 = new double[n];
        for (int i = 0; i < n; i++) {
            u8[i] = i % 3 == 0 ? 255 : i & 0xFF;
            i8[i] = i % 3 == 0 ? -128 : (byte) i;
            u16[i] = i % 3 == 0 ? 65_535 : i * 61 & 0xFFFF;
            i16[i] = i % 3 == 0 ? Short.MIN_VALUE : (short) (i * 61);
            u32[i] = i % 3 == 0 ? 4_294_967_295L : i * 2_654_435_761L & 0xFFFF_FFFFL;
            i32[i] = i % 3 == 0 ? Integer.MIN_VALUE : (int) (i * 2_654_435_761L);
            i64[i] = i % 3 == 0 ? Long.MIN_VALUE : i * 0x9E37_79B9_7F4A_7C15L;
            f32[i] = i % 3 == 0 ? -Float.MAX_VALUE : i / 7f;
            f64[i] = i % 3 == 0 ? Double.MIN_VALUE : i / 7.0;
        }
        var built = new GgufTestFileBuilder()
                .array("u8", UINT8, boxed(u8)).array("i8", INT8, boxed(i8))
                .array("u16", UINT16, boxed(u16)).array("i16", INT16, boxed(i16))
                .array("u32", UINT32, boxed(u32)).array("i32", INT32, boxed(i32))
                .array("i64", INT64, boxed(i64))
                .array("f32", FLOAT32, Arrays.stream(f32).boxed().toList())
                .array("f64", FLOAT64, Arrays.stream(f64).boxed().toList())
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Metadata m = src.metadata();
            assertArrayEquals(u8, m.getLongArray("u8"));
            assertArrayEquals(i8, m.getLongArray("i8"));
            assertArrayEquals(u16, m.getLongArray("u16"));
            assertArrayEquals(i16, m.getLongArray("i16"));
            assertArrayEquals(u32, m.getLongArray("u32"));
            assertArrayEquals(i32, m.getLongArray("i32"));
            assertArrayEquals(i64, m.getLongArray("i64"));
            assertArrayEquals(f32, m.getDoubleArray("f32"));
            assertArrayEquals(f64, m.getDoubleArray("f64"));
        }
    }

    /** Scalars and strings are read through a 64 KiB window; these straddle its edges or exceed it. */
    @Test
    void stringsLongerThanAndAcrossTheReadWindowReadBackAsWritten() {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) strings.add("Ġtok" + i + "é".repeat(i % 5));
        String huge = "x".repeat(GgufCursor.WINDOW_BYTES + 1000);
        var built = new GgufTestFileBuilder()
                .array("strings", STRING, strings)
                .kv("huge", STRING, huge)
                .kv("after", UINT32, 7L)
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Metadata m = src.metadata();
            assertArrayEquals(strings.toArray(new String[0]), m.getStringArray("strings"));
            assertEquals(huge, m.getString("huge"));
            assertEquals(7, m.getLong("after"));
        }
    }

    private static List<Long> boxed(long[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    @Test
    void nestedArraysReadBackAsArraysOfArrays() {
        var built = new GgufTestFileBuilder()
                .array("nested", ARRAY, List.of(arr(UINT8, 1, 2), arr(STRING, "x"), arr(ARRAY, arr(INT32, -5))))
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Object[] nested = assertInstanceOf(Object[].class, src.metadata().get("nested"));
            assertEquals(3, nested.length);
            assertArrayEquals(new long[] {1, 2}, (long[]) nested[0]);
            assertArrayEquals(new String[] {"x"}, (String[]) nested[1]);
            Object[] inner = assertInstanceOf(Object[].class, nested[2]);
            assertArrayEquals(new long[] {-5}, (long[]) inner[0]);
        }
    }

    @Test
    void arraysNestedToTheLimitOpen() {
        Object deepest = arr(UINT8, 42);
        for (int depth = 1; depth < GgufReader.MAX_ARRAY_NESTING; depth++) deepest = arr(ARRAY, deepest);
        var built = new GgufTestFileBuilder().kv("deep", ARRAY, deepest).build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            Object v = src.metadata().get("deep");
            for (int depth = 1; depth < GgufReader.MAX_ARRAY_NESTING; depth++) v = ((Object[]) v)[0];
            assertArrayEquals(new long[] {42}, (long[]) v);
        }
    }

    @Test
    void keysAtTheSpecificationsLengthLimitOpen() {
        String key = "k".repeat(GgufReader.MAX_KEY_BYTES);
        try (GgufSource src = Hostile.open(dir, new GgufTestFileBuilder().u32(key, 1).build().bytes())) {
            assertEquals(1, src.metadata().getLong(key));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 1 << 20})
    void anyPowerOfTwoAlignmentIsAccepted(int alignment) {
        try (GgufSource src = Hostile.open(dir, new GgufTestFileBuilder().alignment(alignment).build().bytes())) {
            assertEquals(alignment, src.metadata().getLong("general.alignment"));
            assertEquals(0, src.dataOffset() % alignment);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void tensorsOfEachInstalledFormatAreViewsOfTheirData(int version) {
        byte[] f16 = {0x00, 0x3C, 0x00, (byte) 0xC0}; // 1.0, -2.0
        byte[] bf16 = {(byte) 0x80, 0x3F, 0x40, 0x40}; // 1.0, 3.0
        var built = new GgufTestFileBuilder().version(version)
                .string("general.architecture", "qwen2")
                .f32Tensor("a", 3, 2)
                .tensor("h", GgufTestFileBuilder.GGML_F16, new long[] {2}, f16)
                .tensor("b", GgufTestFileBuilder.GGML_BF16, new long[] {2, 1, 1, 1}, bf16)
                .build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            assertEquals(built.at("data"), src.dataOffset());
            assertArrayEquals(new long[] {3, 2}, src.tensor("a").shape());
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, src.tensor("a").toFloatArray());
            assertArrayEquals(new float[] {1, -2}, src.tensor("h").toFloatArray());
            assertArrayEquals(new float[] {1, 3}, src.tensor("b").toFloatArray());
            assertArrayEquals(new long[] {2, 1, 1, 1}, src.tensor("b").shape());
            assertEquals(List.of("a", "h", "b"), List.copyOf(src.tensors().keySet()), "tensors keep file order");
        }
    }

    @Test
    void tensorsLaidOutWithALargerAlignmentOpen() {
        var built = new GgufTestFileBuilder().alignment(256).f32Tensor("a", 3).f32Tensor("b", 5).build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            assertEquals(0, src.dataOffset() % 256);
            assertArrayEquals(new float[] {0, 1, 2, 3, 4}, src.tensor("b").toFloatArray());
            assertEquals(256, built.at("data/b") - built.at("data/a"));
        }
    }

    @Test
    void tensorsMayShareData() {
        var built = new GgufTestFileBuilder().f32Tensor("a", 4).tensorInfo("alias", GgufTestFileBuilder.GGML_F32,
                new long[] {2, 2}, 0).build();
        try (GgufSource src = Hostile.open(dir, built.bytes())) {
            assertArrayEquals(src.tensor("a").toFloatArray(), src.tensor("alias").toFloatArray());
        }
    }

    @Test
    void tensorNamesAtGgmlsLengthLimitOpen() {
        String name = "t".repeat(GgufReader.MAX_TENSOR_NAME_BYTES);
        try (GgufSource src = Hostile.open(dir, new GgufTestFileBuilder().f32Tensor(name, 1).build().bytes())) {
            assertEquals(1, src.tensor(name).elements());
        }
    }

    /** The corpus corrupts these fixtures; first they must open whole, each tensor a full view. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2/tiny-qwen2-f32.gguf", "tiny-qwen2/tiny-qwen2-f16.gguf",
        "tiny-qwen2/tiny-qwen2-bf16.gguf", "tiny-qwen2-untied/tiny-qwen2-untied-f32.gguf"})
    void theFixturesOfTheInstalledFormatsOpenWithWholeViews(String fixture) {
        try (GgufSource src = GgufReader.open(org.qwen4j.core.testing.TestData.resolve("models/" + fixture))) {
            assertEquals(fixture.contains("untied") ? 27 : 26, src.tensors().size());
            Hostile.checkViews(src, fixture);
            assertArrayEquals(new long[] {64, 4122}, src.tensor("token_embd.weight").shape());
        }
    }
}
