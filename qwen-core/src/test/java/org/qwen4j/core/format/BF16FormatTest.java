package org.qwen4j.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BF16FormatTest {

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final BF16Format format = new BF16Format();

    @Test
    void isGgmlTypeThirtyWithOneTwoByteElementPerBlock() {
        assertEquals("BF16", format.name());
        assertEquals(30, format.ggmlType());
        assertEquals(1, format.blockSize());
        assertEquals(2, format.blockBytes());
        assertEquals(2 * 896L, format.byteSize(896));
    }

    // A bfloat16 is the upper 16 bits of a float: 0x3FC0 is the float 0x3FC00000 and so on.
    @ParameterizedTest(name = "0x{0} decodes to {1}")
    @CsvSource({
        "3FC0, 1.5",
        "C000, -2.0",
        "3F81, 1.0078125",           // 1 + 2^-7: seven fraction bits
        "7F7F, 3.3895313892515355E38", // largest finite: 2^127 · (2 - 2^-7)
        "0001, 9.183549615799121E-41", // smallest subnormal: the float 0x00010000 = 2^16 · 2^-149 = 2^-133
        "8000, -0.0",
        "7F80, Infinity",
        "FF80, -Infinity"
    })
    void dequantizeDecodesKnownBitPatterns(String hex, double expected) {
        assertEquals((float) expected, decode((short) Integer.parseInt(hex, 16)));
    }

    @ParameterizedTest(name = "float 0x{0} encodes to 0x{1}")
    @CsvSource({
        "3F808000, 3F80",   // halfway between 0x3F80 and 0x3F81: ties to the even 0x3F80
        "3F818000, 3F82",   // halfway between 0x3F81 and 0x3F82: ties to the even 0x3F82
        "3F808001, 3F81",   // just above halfway: rounds up
        "7F7FFFFF, 7F80",   // Float.MAX_VALUE rounds up into infinity
        "7FC00000, 7FC0",   // a quiet NaN keeps its pattern
        "00018000, 0002"    // a subnormal rounds like any value (no flush to zero): ties to the even 0x0002
    })
    void quantizeRoundsToNearestEven(String floatHex, String hex) {
        float value = Float.intBitsToFloat(Integer.parseUnsignedInt(floatHex, 16));
        assertEquals((short) Integer.parseInt(hex, 16), encode(value));
    }

    @Test
    void quantizeKeepsANaNWhoseSignificantBitsAreAllInTheLowerHalf() {
        // Truncating 0x7F800001 would give 0x7F80, infinity; llama.cpp sets the quiet bit instead.
        short encoded = BF16Format.fromFloat(Float.intBitsToFloat(0x7F80_0001));
        assertTrue(Float.isNaN(BF16Format.toFloat(encoded)), Integer.toHexString(encoded & 0xFFFF));
    }

    @Test
    void quantizeThenDequantizeIsWithinHalfAUnitInTheLastPlace() {
        Random random = new Random(3);
        float[] values = Samples.gaussian(random, 4096, 100f);
        float[] out = new float[values.length];
        format.dequantize(DotOracle.encode(format, values), 0, out, 0, values.length);
        for (int i = 0; i < values.length; i++) {
            // Seven fraction bits: half an ulp is at most 2^-8 relative.
            assertEquals(values[i], out[i], Math.abs(values[i]) * 0x1p-8, "value " + values[i]);
        }
    }

    @Test
    void dotWidensEveryBitPatternExactly() {
        // Each of the 65536 patterns sits alone in a row of zeros dotted with ones, so the result is
        // the decoded value itself, infinities and NaNs included. The position cycles through all 85
        // slots, which span the unrolled loop, the single-vector loop and the scalar tail for
        // vectors of 4, 8 or 16 lanes.
        int n = 85;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        MemorySegment row = Arena.ofAuto().allocate(2L * n);
        for (int bits = 0; bits < 1 << 16; bits++) {
            long position = 2L * (bits % n);
            row.set(SHORT_LE, position, (short) bits);
            float expected = Float.intBitsToFloat(bits << 16);
            float actual = format.dot(row, 0, ones, 0, n);
            row.set(SHORT_LE, position, (short) 0);
            // == treats the zeros as equal: the accumulators start at +0, and +0 + -0 is +0.
            if (expected != actual && !(Float.isNaN(expected) && Float.isNaN(actual))) {
                assertEquals(expected, actual, "pattern 0x" + Integer.toHexString(bits));
            }
        }
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
    void dotReadsTheRowAtAnOddByteOffsetAndTheVectorAtAnOffset() {
        Random random = new Random(5);
        int n = 83;
        float[] padded = Samples.gaussian(random, n + 2, 1f);
        float[] x = Samples.gaussian(random, n + 9, 1f);
        MemorySegment segment = Samples.shifted(DotOracle.encode(format, padded), 1);
        DotOracle.assertDotMatchesReference(format, segment, 3, x, 9, n);
    }

    @Test
    void dotRejectsANegativeLength() {
        assertThrows(IllegalArgumentException.class,
                () -> format.dot(MemorySegment.ofArray(new byte[4]), 0, new float[1], 0, -1));
    }

    private float decode(short bits) {
        MemorySegment segment = Arena.ofAuto().allocate(2);
        segment.set(SHORT_LE, 0, bits);
        float[] out = new float[1];
        format.dequantize(segment, 0, out, 0, 1);
        return out[0];
    }

    private short encode(float value) {
        return DotOracle.encode(format, new float[] {value}).get(SHORT_LE, 0);
    }
}
