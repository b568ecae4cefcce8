package org.qwen4j.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.spi.TensorFormat;

/** The vectorised decoder used by the batched matrix product gives the reference decoder's bits. */
class DequantizeFastTest {

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void dequantizeFastEqualsTheReferenceBitForBitOnRandomBytes(String name) {
        TensorFormat f = TensorFormats.byName(name).orElseThrow();
        Random random = new Random(name.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 7, 8, 31, 33, 896, 4867}) {
                MemorySegment seg = arena.allocate(f.byteSize(n) + 3);
                for (long i = 0; i < seg.byteSize(); i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                for (long offset : new long[] {0, f.blockBytes()}) {
                    int count = offset == 0 ? n : n - 1;
                    float[] expected = new float[count + 5];
                    float[] actual = new float[count + 5];
                    f.dequantize(seg, offset, expected, 5, count);
                    f.dequantizeFast(seg, offset, actual, 5, count);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                                name + " n=" + n + " offset=" + offset + " index " + i);
                    }
                }
            }
        }
    }
}
