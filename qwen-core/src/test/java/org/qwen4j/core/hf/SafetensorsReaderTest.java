package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.spi.Tensor;

/** Well-formed safetensors files: what the reader makes of them. */
class SafetensorsReaderTest {
    @TempDir
    Path dir;

    @Test
    void tensorsAreSlicesOfTheMappingWithShapesInnermostFirst() {
        Path file = HfFixtures.safetensors(dir.resolve("a.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                        + "\"__metadata__\":{\"format\":\"pt\"}}",
                HfFixtures.concat(HfFixtures.floats(1, 2, 3, 4, 5, 6), new byte[8]));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsReader.open(file, arena);
            List<Tensor> tensors = f.tensors();
            assertEquals(List.of("a", "b"), tensors.stream().map(Tensor::name).toList());
            Tensor a = tensors.getFirst();
            assertEquals("F32", a.format().name());
            assertArrayEquals(new long[] {3, 2}, a.shape(), "row-major [2, 3] is GGUF's [3, 2]");
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
            assertTrue(a.data().isMapped(), "a view of the mapped file, not a copy");
            assertEquals("F16", tensors.get(1).format().name());
            assertEquals(8, tensors.get(1).data().byteSize());
            assertEquals(Map.of("format", "pt"), f.metadata());
        }
    }

    @Test
    void bf16TensorsUseTheBf16Format() {
        Path file = HfFixtures.safetensors(dir.resolve("b.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[] {(byte) 0x80, 0x3F, 0, 0x40});
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = SafetensorsReader.open(file, arena).tensors().getFirst();
            assertEquals("BF16", w.format().name());
            assertArrayEquals(new float[] {1f, 2f}, w.toFloatArray());
        }
    }

    @Test
    void aScalarBecomesAOneElementVector() {
        Path file = HfFixtures.safetensors(dir.resolve("s.safetensors"),
                "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", HfFixtures.floats(7));
        try (Arena arena = Arena.ofConfined()) {
            Tensor s = SafetensorsReader.open(file, arena).tensors().getFirst();
            assertArrayEquals(new long[] {1}, s.shape());
            assertArrayEquals(new float[] {7}, s.toFloatArray());
        }
    }

    @Test
    void overlappingTensorsAreAllowed() {
        Path file = HfFixtures.safetensors(dir.resolve("o.safetensors"),
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", HfFixtures.floats(1, 2, 3));
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> t = SafetensorsReader.open(file, arena).tensors();
            assertArrayEquals(new float[] {1, 2}, t.get(0).toFloatArray());
            assertArrayEquals(new float[] {2, 3}, t.get(1).toFloatArray());
        }
    }

    @Test
    void headerPaddingWithSpacesAndEmptyMetadataAreAccepted() {
        Path file = HfFixtures.safetensors(dir.resolve("p.safetensors"),
                "{\"__metadata__\":{},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}   ", HfFixtures.floats(5));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(1, SafetensorsReader.open(file, arena).tensors().size());
        }
    }

    @Test
    void aTensorPastTheTwoGibibyteMarkOfALargeFileIsReadable() throws IOException {
        // A sparse file: only the header and the last tensor's bytes are written, the rest is a hole.
        long filler = (1L << 31) + 4096;
        String header = "{\"filler\":{\"dtype\":\"F32\",\"shape\":[" + filler / 4 + "],\"data_offsets\":[0," + filler + "]},"
                + "\"late\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + filler + "," + (filler + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("large.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] length = new byte[8];
            java.nio.ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(length);
            raf.write(h);
            raf.seek(8 + h.length + filler);
            raf.write(HfFixtures.floats(1.5f, -2.5f));
        }
        try (Arena arena = Arena.ofConfined()) {
            List<Tensor> t = SafetensorsReader.open(file, arena).tensors();
            Tensor late = t.get(1);
            assertTrue(8 + h.length + filler > Integer.MAX_VALUE);
            assertArrayEquals(new float[] {1.5f, -2.5f}, late.toFloatArray());
            assertEquals(0f, t.get(0).data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, filler - 4));
        }
    }
}
