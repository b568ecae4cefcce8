package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q4_1FormatTest extends BlockFormatContract {

    private final Q4_1Format format = new Q4_1Format();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {0, 2};
    }

    @Override
    int zeroLevel() {
        return 0;
    }

    @Override
    byte[] unitBlock() {
        // d = 1 (fp16 0x3C00), m = 0.
        byte[] block = new byte[20];
        block[1] = 0x3C;
        return block;
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        int index = 4 + element % 16;
        int shift = element < 16 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | level << shift);
    }

    @Test
    void isGgmlType3WithBlocksOf32ValuesIn20Bytes() {
        assertEquals("Q4_1", format.name());
        assertEquals(3, format.ggmlType());
        assertEquals(32, format.blockSize());
        assertEquals(20, format.blockBytes());
        assertEquals(28 * 20L, format.byteSize(896));
    }

    @Test
    void dequantizeMultipliesEachNibbleByTheScaleAndAddsTheOffset() {
        // d = 0.5 (fp16 0x3800), m = -3 (0xC200); byte j has low nibble j and high nibble 15 − j:
        // value j is 0.5·j − 3 and value j + 16 is 0.5·(15 − j) − 3.
        byte[] block = new byte[20];
        block[1] = 0x38;
        block[3] = (byte) 0xC2;
        for (int j = 0; j < 16; j++) {
            block[4 + j] = (byte) (j | (15 - j) << 4);
        }
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            expected[j] = 0.5f * j - 3;
            expected[j + 16] = 0.5f * (15 - j) - 3;
        }
        float[] out = new float[32];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 32);
        assertArrayEquals(expected, out);
    }

    @Test
    void quantizeTakesTheMinimumAsOffsetAndFifteenthsOfTheRangeAsScale() {
        // min = -1, max = 14: d = 1 (0x3C00), m = -1 (0xBC00), nibble = min(15, trunc(x + 1 + 0.5)).
        float[] x = new float[32];
        float[] head = {-1f, 14f, 0.49f, 0.5f, 3.2f, -0.6f, 13.4f};
        System.arraycopy(head, 0, x, 0, head.length);
        x[16] = 6.5f;
        // nibbles: -1 → 0, 14 → 15, 0.49 → 1, 0.5 → 2, 3.2 → 4, -0.6 → 0, 13.4 → 14, 0 → 1; 6.5 → 8.
        byte[] expected = new byte[20];
        expected[1] = 0x3C;
        expected[3] = (byte) 0xBC;
        byte[] low = {0, 15, 1, 2, 4, 0, 14};
        for (int j = 0; j < 16; j++) {
            int lo = j < low.length ? low[j] : 1;
            int hi = j == 0 ? 8 : 1;
            expected[4 + j] = (byte) (lo | hi << 4);
        }
        assertArrayEquals(expected, encode(x));
    }

    @Test
    void quantizeEncodesAnAllZeroBlockAsZeroBytes() {
        // min = max = 0: d = 0, so 1/d is skipped and every nibble is trunc(0.5) = 0.
        assertArrayEquals(new byte[20], encode(new float[32]));
    }

    @Test
    void roundTripErrorIsHalfAStepPlusTheRoundingOfScaleAndOffsetToFp16() {
        // With d = (max − min)/15 and m = min rounded to fp16 (relative error ≤ 2^-11 each) and
        // q ≤ 15: |x − (d'q + m')| ≤ d/2 + 15·2^-11·d + 2^-11·|min|, plus float rounding.
        Random random = new Random(2);
        for (float sigma : new float[] {0.05f, 1f, 300f}) {
            int n = 32 * 100;
            float[] x = Samples.gaussian(random, n, sigma);
            for (int i = 0; i < n; i++) {
                x[i] += sigma * (i / 32 % 5 - 2);
            }
            float[] out = roundTrip(x);
            for (int b = 0; b < n / 32; b++) {
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) {
                    min = Math.min(min, x[b * 32 + j]);
                    max = Math.max(max, x[b * 32 + j]);
                }
                double d = (max - min) / 15.0;
                double bound = d * (0.5 + 15 * 0x1p-11 + 0x1p-16) + 0x1p-11 * Math.abs(min) + 0x1p-20 * Math.abs(max);
                for (int j = 0; j < 32; j++) {
                    int i = b * 32 + j;
                    assertTrue(Math.abs(x[i] - out[i]) <= bound, "x = " + x[i] + ", decoded " + out[i]);
                }
            }
        }
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
