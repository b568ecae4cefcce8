package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.params.provider.ValueSource;

class Q8_0FormatTest {

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Q8_0Format format = new Q8_0Format();

    @Test
    void isGgmlTypeEightWithBlocksOf32ValuesIn34Bytes() {
        assertEquals("Q8_0", format.name());
        assertEquals(8, format.ggmlType());
        assertEquals(32, format.blockSize());
        assertEquals(34, format.blockBytes());
        assertEquals(28 * 34L, format.byteSize(896));
    }

    @Test
    void dequantizeMultipliesEachQuantByTheBlockScale() {
        // Block 0: d = 0.5 (fp16 0x3800), q[j] = j - 16. Block 1: d = -2 (fp16 0xC000), q = -128, 127, 0 …
        byte[] bytes = new byte[68];
        bytes[0] = 0x00;
        bytes[1] = 0x38;
        for (int j = 0; j < 32; j++) {
            bytes[2 + j] = (byte) (j - 16);
        }
        bytes[34] = 0x00;
        bytes[35] = (byte) 0xC0;
        bytes[36] = (byte) 0x80;
        bytes[37] = 0x7F;
        float[] expected = new float[64];
        for (int j = 0; j < 32; j++) {
            expected[j] = (j - 16) * 0.5f;
        }
        // A negative scale times a zero quant is a negative zero.
        Arrays.fill(expected, 32, 64, -0f);
        expected[32] = 256f;
        expected[33] = -254f;
        float[] out = new float[64];
        format.dequantize(MemorySegment.ofArray(bytes), 0, out, 0, 64);
        assertArrayEquals(expected, out);
    }

    @Test
    void quantizeRoundsHalfwayQuantsAwayFromZeroLikeRoundf() {
        // amax = 127, so d = 1 (fp16 0x3C00) and q = roundf(x): ties go away from zero.
        float[] x = new float[32];
        float[] head = {127f, 0.5f, -0.5f, 1.5f, -2.5f, 2.5f, -126.5f, 63.49f};
        System.arraycopy(head, 0, x, 0, head.length);
        byte[] expected = new byte[34];
        expected[1] = 0x3C;
        byte[] quants = {127, 1, -1, 2, -3, 3, -127, 63};
        System.arraycopy(quants, 0, expected, 2, quants.length);
        assertArrayEquals(expected, encode(x));
    }

    @Test
    void quantizeEncodesAnAllZeroBlockAsZeroScaleAndZeroQuants() {
        assertArrayEquals(new byte[34], encode(new float[32]));
    }

    @Test
    void quantizeDividesTheLargestMagnitudeBy127ForTheScale() {
        // amax = 254 (negative here): d = 2, fp16 0x4000; -254 → -127, 100 → 50, 3 → roundf(1.5) = 2.
        float[] x = new float[32];
        x[5] = -254f;
        x[6] = 100f;
        x[7] = 3f;
        byte[] encoded = encode(x);
        assertEquals(0x00, encoded[0]);
        assertEquals(0x40, encoded[1]);
        assertEquals(-127, encoded[2 + 5]);
        assertEquals(50, encoded[2 + 6]);
        assertEquals(2, encoded[2 + 7]);
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepWhenTheScaleIsExactInFp16() {
        // amax = 127/64 makes d = 2^-6 and 1/d = 64: scaling is exact, so only the rounding to an
        // integer step remains, at most half a step.
        Random random = new Random(1);
        float amax = 127f / 64;
        float d = 1f / 64;
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 32 == 0 ? amax : (float) random.nextDouble(-amax, amax);
        }
        float[] out = roundTrip(x);
        for (int i = 0; i < n; i++) {
            assertTrue(Math.abs(x[i] - out[i]) <= d / 2, "x = " + x[i] + ", decoded " + out[i]);
        }
    }

    @Test
    void roundTripErrorIsAtMostHalfAStepPlusTheScaleRoundingToFp16() {
        // With d = amax/127 rounded to fp16 (relative error ≤ 2^-11) and |q| ≤ 127:
        // |x − d'q| ≤ |x − dq| + |q|·|d − d'| ≤ d/2 + 127·2^-11·d, plus float rounding of x/d.
        Random random = new Random(2);
        for (float sigma : new float[] {0.05f, 1f, 300f}) {
            int n = 32 * 100;
            float[] x = Samples.gaussian(random, n, sigma);
            float[] out = roundTrip(x);
            for (int b = 0; b < n / 32; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(x[b * 32 + j]));
                }
                double d = amax / 127.0;
                double bound = d * (0.5 + 127 * 0x1p-11 + 0x1p-16);
                for (int j = 0; j < 32; j++) {
                    int i = b * 32 + j;
                    assertTrue(Math.abs(x[i] - out[i]) <= bound, "x = " + x[i] + ", decoded " + out[i]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 32, 64, 96, 896, 4864})
    void dotMatchesDequantizeThenDoubleDotOnQuantizedWeights(int n) {
        Random random = new Random(n);
        float[] w = Samples.gaussian(random, n, 0.05f);
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertDotMatchesReference(format, DotOracle.encode(format, w), 0, x, 0, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 28, 152})
    void dotMatchesDequantizeThenDoubleDotOnArbitraryBlocks(int blocks) {
        Random random = new Random(100 + blocks);
        MemorySegment w = Samples.randomBlocks(random, blocks, 34);
        float[] x = Samples.gaussian(random, blocks * 32, 1f);
        DotOracle.assertDotMatchesReference(format, w, 0, x, 0, blocks * 32);
    }

    @Test
    void dotReadsTheRowAtAnOddByteOffsetAndTheVectorAtAnOffset() {
        Random random = new Random(9);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, 5, 34), 3);
        float[] x = Samples.gaussian(random, 7 + 4 * 32, 1f);
        // Skip the garbage bytes and the first block: the row is blocks 1..4.
        DotOracle.assertDotMatchesReference(format, w, 3 + 34, x, 7, 4 * 32);
    }

    @Test
    void dotRejectsALengthThatIsNotAWholeNumberOfBlocks() {
        MemorySegment w = Arena.ofAuto().allocate(68);
        float[] x = new float[64];
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, x, 0, 48));
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, x, 0, -32));
    }

    @Test
    void quantizeRejectsALengthThatIsNotAWholeNumberOfBlocks() {
        MemorySegment w = Arena.ofAuto().allocate(68);
        assertThrows(IllegalArgumentException.class, () -> format.quantize(new float[40], 0, w, 0, 40));
    }

    private byte[] encode(float[] x) {
        return DotOracle.encode(format, x).toArray(ValueLayout.JAVA_BYTE);
    }

    private float[] roundTrip(float[] x) {
        float[] out = new float[x.length];
        format.dequantize(DotOracle.encode(format, x), 0, out, 0, x.length);
        return out;
    }
}
