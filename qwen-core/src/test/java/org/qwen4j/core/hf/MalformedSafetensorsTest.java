package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.ModelFormatException;

/**
 * Malformed safetensors files are refused with a {@link ModelFormatException} naming the file and the
 * field at fault; no other exception escapes and no lying length is believed.
 */
class MalformedSafetensorsTest {
    @TempDir
    Path dir;

    private static final String OK_TENSOR = "\"ok\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    static Stream<Arguments> badHeaders() {
        return Stream.of(
                Arguments.of("header that is not JSON", "{\"a\":", "header"),
                Arguments.of("header that is an array", "[1,2]", "header"),
                Arguments.of("content after the header object", "{" + OK_TENSOR + "} {}", "header"),
                Arguments.of("tensor entry that is not an object", "{\"t\":5}", "t"),
                Arguments.of("duplicate tensor name", "{" + OK_TENSOR + "," + OK_TENSOR + "}", "ok"),
                Arguments.of("missing dtype", "{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "t.dtype"),
                Arguments.of("missing shape", "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("missing data_offsets", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", "t.data_offsets"),
                Arguments.of("unknown dtype", "{\"t\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", "t.dtype"),
                Arguments.of("unsupported dtype", "{\"t\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "t.dtype"),
                Arguments.of("dtype that is not a string", "{\"t\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", "t.dtype"),
                Arguments.of("negative dimension", "{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("fractional dimension", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("zero dimension", "{\"t\":{\"dtype\":\"F32\",\"shape\":[0,2],\"data_offsets\":[0,0]}}", "t.shape"),
                Arguments.of("five dimensions", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("dimension beyond 64 bits",
                        "{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("shape that overflows when multiplied",
                        "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", "t.shape"),
                Arguments.of("end before begin", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "t.data_offsets"),
                Arguments.of("offsets past the data section", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                        "t.data_offsets"),
                Arguments.of("size other than shape times dtype", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                        "t.data_offsets"),
                Arguments.of("three offsets", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", "t.data_offsets"),
                Arguments.of("metadata that is not strings", "{\"__metadata__\":{\"format\":1}," + OK_TENSOR + "}",
                        "__metadata__.format"),
                Arguments.of("metadata that is not an object", "{\"__metadata__\":[]," + OK_TENSOR + "}", "__metadata__"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void aMalformedHeaderIsRefusedNamingTheField(String what, String header, String field) {
        Path file = HfFixtures.safetensors(dir.resolve("bad.safetensors"), header, HfFixtures.floats(1, 2));
        ModelFormatException e = refused(file);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.offset() >= 0, "the byte offset is named: " + e.getMessage());
    }

    @Test
    void aFileShorterThanTheLengthFieldIsRefused() {
        Path file = dir.resolve("short.safetensors");
        HfFixtures.write(file, "{}");
        assertEquals("header length", refused(file).field());
    }

    @Test
    void anAbsurdHeaderLengthIsRefusedBeforeAnythingIsAllocated() {
        Path file = HfFixtures.safetensors(dir.resolve("absurd.safetensors"), 1L << 40, "{}".getBytes());
        ModelFormatException e = refused(file);
        assertEquals("header length", e.field());
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void aHeaderLengthWithTheTopBitSetIsRefused() {
        Path file = HfFixtures.safetensors(dir.resolve("negative.safetensors"), -1L, "{}".getBytes());
        assertEquals("header length", refused(file).field());
    }

    @Test
    void aHeaderLengthPastTheEndOfTheFileIsRefused() {
        Path file = HfFixtures.safetensors(dir.resolve("truncated.safetensors"), 1000, "{\"a\":1}".getBytes());
        ModelFormatException e = refused(file);
        assertEquals("header length", e.field());
        assertTrue(e.getMessage().contains("past the end"), e.getMessage());
    }

    @Test
    void aHeaderThatDoesNotStartWithABraceIsRefused() {
        Path file = HfFixtures.safetensors(dir.resolve("nobrace.safetensors"), " {}", new byte[0]);
        assertEquals("header", refused(file).field());
    }

    private static ModelFormatException refused(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsReader.open(file, arena));
            assertEquals(file, e.file(), e.getMessage());
            return e;
        }
    }
}
