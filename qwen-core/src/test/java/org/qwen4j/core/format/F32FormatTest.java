package org.qwen4j.core.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class F32FormatTest {

    private final F32Format format = new F32Format();

    @Test
    void isGgmlTypeZeroWithOneFourByteElementPerBlock() {
        assertEquals("F32", format.name());
        assertEquals(0, format.ggmlType());
        assertEquals(1, format.blockSize());
        assertEquals(4, format.blockBytes());
        assertEquals(4 * 896L, format.byteSize(896));
    }

    @Test
    void dequantizeReadsLittleEndianFloats() {
        // 1.5f is 0x3FC00000 and -2.0f is 0xC0000000, least significant byte first.
        MemorySegment bytes = MemorySegment.ofArray(new byte[] {0, 0, (byte) 0xC0, 0x3F, 0, 0, 0, (byte) 0xC0});
        float[] out = new float[2];
        format.dequantize(bytes, 0, out, 0, 2);
        assertArrayEquals(new float[] {1.5f, -2.0f}, out);
    }

    @Test
    void quantizeThenDequantizeIsExactIncludingSpecialValues() {
        float[] values = {0f, -0f, 1e-45f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.NaN, 3.14159f};
        float[] out = new float[values.length];
        format.dequantize(DotOracle.encode(format, values), 0, out, 0, values.length);
        assertArrayEquals(values, out);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 15, 31, 32, 33, 100, 896, 4864 + 3})
    void dotMatchesDequantizeThenDoubleDotForAnyLength(int n) {
        Random random = new Random(n);
        float[] w = Samples.gaussian(random, n, 0.05f);
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertDotMatchesReference(format, DotOracle.encode(format, w), 0, x, 0, n);
    }

    @Test
    void dotReadsTheRowAtAnUnalignedByteOffsetAndTheVectorAtAnOffset() {
        Random random = new Random(7);
        int n = 77;
        float[] padded = Samples.gaussian(random, n + 3, 1f);
        float[] x = Samples.gaussian(random, n + 5, 1f);
        // One element of padding plus two bytes: the row starts at byte 6, not a multiple of 4.
        MemorySegment segment = Samples.shifted(DotOracle.encode(format, padded), 2);
        DotOracle.assertDotMatchesReference(format, segment, 6, x, 5, n);
    }

    @Test
    void dotOfKnownValuesIsExact() {
        float[] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
        float[] x = new float[w.length];
        Arrays.fill(x, 2f);
        // 2 · (1 + … + 35) = 35 · 36 = 1260, exact in float whatever the summation order.
        assertEquals(1260f, format.dot(DotOracle.encode(format, w), 0, x, 0, w.length));
    }

    @Test
    void dotRejectsANegativeLength() {
        assertThrows(IllegalArgumentException.class,
                () -> format.dot(MemorySegment.ofArray(new byte[4]), 0, new float[1], 0, -1));
    }

    @Test
    void dotRejectsARowThatRunsPastTheSegment() {
        MemorySegment segment = MemorySegment.ofArray(new byte[4 * 40]);
        assertThrows(IndexOutOfBoundsException.class, () -> format.dot(segment, 8, new float[40], 0, 40));
    }
}
