package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Q4_0FormatTest {

    private final Q4_0Format format = new Q4_0Format();

    @Test
    void isGgmlTypeTwoWithBlocksOf32ValuesIn18Bytes() {
        assertEquals("Q4_0", format.name());
        assertEquals(2, format.ggmlType());
        assertEquals(32, format.blockSize());
        assertEquals(18, format.blockBytes());
        assertEquals(28 * 18L, format.byteSize(896));
    }

    @Test
    void dequantizeTakesLowNibblesAsTheFirstHalfAndHighNibblesAsTheSecond() {
        // d = 2 (fp16 0x4000); byte j has low nibble j and high nibble 15 - j, so value j is
        // 2·(j − 8) and value j + 16 is 2·((15 − j) − 8) = 2·(7 − j).
        byte[] bytes = new byte[18];
        bytes[1] = 0x40;
        for (int j = 0; j < 16; j++) {
            bytes[2 + j] = (byte) (j | (15 - j) << 4);
        }
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            expected[j] = 2f * (j - 8);
            expected[j + 16] = 2f * (7 - j);
        }
        float[] out = new float[32];
        format.dequantize(MemorySegment.ofArray(bytes), 0, out, 0, 32);
        assertArrayEquals(expected, out);
    }

    @Test
    void quantizeMapsTheNegativeExtremeToNibbleZeroAndTruncatesTheRestAfterAddingEightAndAHalf() {
        // max = -8, so d = max / -8 = 1 (fp16 0x3C00) and nibble = min(15, trunc(x + 8.5)).
        float[] x = new float[32];
        float[] low = {-8f, 7f, 0.5f, -0.5f, 3.2f, -3.7f, 7.9f};
        System.arraycopy(low, 0, x, 0, low.length);
        x[16] = -7.6f;
        x[17] = 1.49f;
        // nibbles: -8 → 0, 7 → 15, 0.5 → 9, -0.5 → 8, 3.2 → 11, -3.7 → 4, 7.9 → 16 clipped to 15,
        // 0 → 8; high half: -7.6 → 0, 1.49 → 9, 0 → 8.
        byte[] expected = new byte[18];
        expected[1] = 0x3C;
        byte[] packed = {0x00, (byte) 0x9F, (byte) 0x89, (byte) 0x88, (byte) 0x8B, (byte) 0x84, (byte) 0x8F};
        Arrays.fill(expected, 2, 18, (byte) 0x88);
        System.arraycopy(packed, 0, expected, 2, packed.length);
        assertArrayEquals(expected, encode(x));
    }

    @Test
    void quantizeTakesTheScaleSignFromTheFirstValueOfLargestMagnitude() {
        // 8 comes before -8, so max = 8 and d = -1 (fp16 0xBC00): 8 → nibble 0 → d·(0 − 8) = 8,
        // while -8 → trunc(16.5) = 16, clipped to 15 → d·(15 − 8) = -7.
        float[] x = new float[32];
        x[0] = 8f;
        x[1] = -8f;
        x[2] = 4f;
        byte[] expected = new byte[18];
        Arrays.fill(expected, 2, 18, (byte) 0x88);
        expected[0] = 0x00;
        expected[1] = (byte) 0xBC;
        expected[2] = (byte) 0x80;
        expected[3] = (byte) 0x8F;
        expected[4] = (byte) 0x84;
        assertArrayEquals(expected, encode(x));
        float[] out = roundTrip(x);
        assertEquals(8f, out[0]);
        assertEquals(-7f, out[1]);
        assertEquals(4f, out[2]);
    }

    @Test
    void quantizeEncodesAnAllZeroBlockAsNegativeZeroScaleAndMidpointNibbles() {
        // max = 0, d = 0 / -8 = -0 (fp16 0x8000), 1/d is skipped and every nibble is trunc(8.5) = 8.
        byte[] expected = new byte[18];
        expected[1] = (byte) 0x80;
        Arrays.fill(expected, 2, 18, (byte) 0x88);
        assertArrayEquals(expected, encode(new float[32]));
        for (float v : roundTrip(new float[32])) {
            assertEquals(0f, Math.abs(v));
        }
    }

    @Test
    void roundTripErrorIsHalfAStepExceptForTheClippedTopStepWhenTheScaleIsExactInFp16() {
        // max = -1 makes d = 1/8 and 1/d = 8, so x/d is exact; trunc(x/d + 8.5) rounds halfway up
        // (the float sum can carry a value a hair below .5 over, hence the tiny slack), and x/d in
        // [7.5, 8] has no level above 7, so it errs by up to one step.
        Random random = new Random(1);
        float d = 0.125f;
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 32 == 0 ? -1f : (float) random.nextDouble(-1, 1);
        }
        float[] out = roundTrip(x);
        for (int i = 0; i < n; i++) {
            double bound = x[i] / d >= 7.5 ? d : d * (0.5 + 0x1p-18);
            assertTrue(Math.abs(x[i] - out[i]) <= bound, "x = " + x[i] + ", decoded " + out[i]);
        }
    }

    @Test
    void roundTripErrorIsAtMostOneStepPlusTheScaleRoundingToFp16() {
        // |x − d'(q − 8)| ≤ |x − d(q − 8)| + 8·|d − d'| ≤ |d| + 8·2^-11·|d|, plus float rounding.
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
                double d = amax / 8.0;
                double bound = d * (1 + 8 * 0x1p-11 + 0x1p-16);
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
        MemorySegment w = Samples.randomBlocks(random, blocks, 18);
        float[] x = Samples.gaussian(random, blocks * 32, 1f);
        DotOracle.assertDotMatchesReference(format, w, 0, x, 0, blocks * 32);
    }

    @Test
    void dotPairsEachNibbleWithItsOwnElement() {
        // One block, d = 1, every nibble 8 (value 0) except one: the dot with x = 1, 2, … 32 picks
        // out exactly that element, so a swapped half or nibble shows up as a different number.
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = i + 1;
        }
        for (int element = 0; element < 32; element++) {
            byte[] bytes = new byte[18];
            bytes[1] = 0x3C;
            Arrays.fill(bytes, 2, 18, (byte) 0x88);
            int j = element % 16;
            // nibble 9 stands for +1
            bytes[2 + j] = (byte) (element < 16 ? 0x89 : 0x98);
            assertEquals(element + 1f, format.dot(MemorySegment.ofArray(bytes), 0, x, 0, 32), "element " + element);
        }
    }

    @Test
    void dotReadsTheRowAtAnOddByteOffsetAndTheVectorAtAnOffset() {
        Random random = new Random(9);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, 5, 18), 3);
        float[] x = Samples.gaussian(random, 7 + 4 * 32, 1f);
        // Skip the garbage bytes and the first block: the row is blocks 1..4.
        DotOracle.assertDotMatchesReference(format, w, 3 + 18, x, 7, 4 * 32);
    }

    @Test
    void dotRejectsALengthThatIsNotAWholeNumberOfBlocks() {
        MemorySegment w = Arena.ofAuto().allocate(36);
        float[] x = new float[64];
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, x, 0, 16));
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, x, 0, -32));
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
