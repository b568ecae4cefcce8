package org.qwen4j.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

class F16FormatTest {

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final F16Format format = new F16Format();

    @Test
    void isGgmlTypeOneWithOneTwoByteElementPerBlock() {
        assertEquals("F16", format.name());
        assertEquals(1, format.ggmlType());
        assertEquals(1, format.blockSize());
        assertEquals(2, format.blockBytes());
        assertEquals(2 * 896L, format.byteSize(896));
    }

    // Values from the binary16 definition: (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024.
    @ParameterizedTest(name = "0x{0} decodes to {1}")
    @CsvSource({
        "3E00, 1.5",                 // e = 15, m = 512
        "C000, -2.0",                // s = 1, e = 16
        "3C01, 1.0009765625",        // 1 + 2^-10
        "7BFF, 65504.0",             // largest finite: 2^15 · (2 - 2^-10)
        "0400, 6.103515625E-5",      // smallest normal: 2^-14
        "0001, 5.9604644775390625E-8", // smallest subnormal: 2^-24
        "03FF, 6.097555160522461E-5",  // largest subnormal: 1023 · 2^-24
        "8001, -5.9604644775390625E-8",
        "0000, 0.0",
        "8000, -0.0",
        "7C00, Infinity",
        "FC00, -Infinity"
    })
    void dequantizeDecodesKnownBitPatterns(String hex, double expected) {
        assertEquals((float) expected, decode((short) Integer.parseInt(hex, 16)));
    }

    @Test
    void dequantizeKeepsNaNsNaN() {
        assertTrue(Float.isNaN(decode((short) 0x7E00)));
        assertTrue(Float.isNaN(decode((short) 0xFC01)));
    }

    @ParameterizedTest(name = "{0} encodes to 0x{1}")
    @CsvSource({
        "1.00048828125, 3C00",   // 1 + 2^-11, halfway between 0x3C00 and 0x3C01: ties to the even 0x3C00
        "1.00146484375, 3C02",   // 1 + 3·2^-11, halfway between 0x3C01 and 0x3C02: ties to the even 0x3C02
        "65519.0, 7BFF",         // below the halfway point to 65536: stays finite
        "65520.0, 7C00",         // halfway between 65504 and 2^16: ties to even, which overflows to infinity
        "2.98023223876953125E-8, 0000", // 2^-25, halfway between 0 and the smallest subnormal: ties to 0
        "-3.0E-8, 8001"          // just above half the smallest subnormal in magnitude: rounds up to it
    })
    void quantizeRoundsToNearestEven(double value, String hex) {
        assertEquals((short) Integer.parseInt(hex, 16), encode((float) value));
    }

    @Test
    void quantizeThenDequantizeIsWithinHalfAUnitInTheLastPlace() {
        Random random = new Random(3);
        float[] values = Samples.gaussian(random, 4096, 100f);
        float[] out = new float[values.length];
        format.dequantize(DotOracle.encode(format, values), 0, out, 0, values.length);
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            // A binary16 normal has 10 fraction bits: half an ulp is 2^-11 relative, or 2^-25 absolute below 2^-14.
            double bound = Math.max(Math.abs(v) * 0x1p-11, 0x1p-25);
            assertEquals(v, out[i], bound, "value " + v);
        }
    }

    @Test
    void everyDotKernelWidensEveryHalfBitPatternExactly() {
        // Each of the 65536 patterns sits alone in a row of zeros dotted with ones, so the result is
        // the decoded value itself, infinities and NaNs included (for dotOrderedFinite, which may
        // assume a finite row, the finite ones). The position cycles through all 85 slots, which
        // span the unrolled loop, the single-vector loop and the scalar tail for vectors of 4, 8
        // or 16 lanes.
        int n = 85;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        float[] orderedOnes = new float[n];
        assertTrue(format.orderActivations(ones, 0, orderedOnes, 0, n));
        MemorySegment row = Arena.ofAuto().allocate(2L * n);
        for (int bits = 0; bits < 1 << 16; bits++) {
            long position = 2L * (bits % n);
            row.set(SHORT_LE, position, (short) bits);
            float expected = Float.float16ToFloat((short) bits);
            float actual = format.dot(row, 0, ones, 0, n);
            float ordered = format.dotOrdered(row, 0, orderedOnes, 0, n);
            boolean finite = (bits & 0x7C00) != 0x7C00;
            float trusted = finite ? format.dotOrderedFinite(row, 0, orderedOnes, 0, n) : expected;
            row.set(SHORT_LE, position, (short) 0);
            // == treats the zeros as equal: the accumulators start at +0, and +0 + -0 is +0.
            if (expected != actual && !(Float.isNaN(expected) && Float.isNaN(actual))) {
                assertEquals(expected, actual, "pattern 0x" + Integer.toHexString(bits));
            }
            if (expected != ordered && !(Float.isNaN(expected) && Float.isNaN(ordered))) {
                assertEquals(expected, ordered, "dotOrdered, pattern 0x" + Integer.toHexString(bits));
            }
            if (expected != trusted) assertEquals(expected, trusted, "dotOrderedFinite, pattern 0x" + Integer.toHexString(bits));
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
    void dotMatchesReferenceOnTinyWeightsThatAreHalfSubnormals() {
        Random random = new Random(11);
        int n = 1000;
        float[] w = Samples.gaussian(random, n, 3e-5f);
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
    void orderedKernelsGiveTheNaturalKernelsBitsForActivationsUpToTheOrderableLimit() {
        // Ordering scales the activations by 2^112 so that the kernel can skip rescaling the
        // halves; both factors stay exact, so every product and sum is the same float.
        Random random = new Random(17);
        int n = 896 + 5;
        float[] x = Samples.gaussian(random, n, 1f);
        x[3] = Math.nextDown(65536f);
        x[40] = -30000f;
        x[41] = Float.MIN_VALUE;
        x[42] = 0f;
        x[n - 1] = 2e-39f;
        float[] ordered = new float[n];
        assertTrue(format.orderActivations(x, 0, ordered, 0, n));
        for (int r = 0; r < 20; r++) {
            MemorySegment row = DotOracle.encode(format, Samples.gaussian(random, n, 0.05f));
            float natural = format.dot(row, 0, x, 0, n);
            assertEquals(Float.floatToRawIntBits(natural), Float.floatToRawIntBits(format.dotOrdered(row, 0, ordered, 0, n)), "row " + r);
            assertEquals(Float.floatToRawIntBits(natural), Float.floatToRawIntBits(format.dotOrderedFinite(row, 0, ordered, 0, n)), "row " + r);
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {65536f, -65536f, 1e30f, Float.POSITIVE_INFINITY, Float.NaN})
    void activationsThatScalingWouldOverflowHaveNoOrderedForm(float big) {
        float[] x = new float[40];
        x[33] = big;
        assertFalse(format.orderActivations(x, 0, new float[40], 0, 40));
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
