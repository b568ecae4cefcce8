package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q5_1FormatTest extends BlockFormatContract {

    private final Q5_1Format format = new Q5_1Format();

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
        byte[] block = new byte[24];
        block[1] = 0x3C;
        return block;
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Low four bits in the nibbles after d, m and qh; the fifth in bit `element` of qh.
        int index = 8 + element % 16;
        int shift = element < 16 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | (level & 0x0F) << shift);
        int qh = 4 + element / 8;
        block[qh] = (byte) (block[qh] & ~(1 << element % 8) | (level >> 4) << element % 8);
    }

    @Test
    void isGgmlType7WithBlocksOf32ValuesIn24Bytes() {
        assertEquals("Q5_1", format.name());
        assertEquals(7, format.ggmlType());
        assertEquals(32, format.blockSize());
        assertEquals(24, format.blockBytes());
        assertEquals(28 * 24L, format.byteSize(896));
    }

    @Test
    void dequantizeMultipliesEachQuantByTheScaleAndAddsTheOffset() {
        // d = 0.25 (fp16 0x3400), m = 1.5 (0x3E00), quants 0 … 31 across the block: value i is 0.25·q + 1.5.
        byte[] block = new byte[24];
        block[1] = 0x34;
        block[3] = 0x3E;
        int[] quants = new int[32];
        for (int i = 0; i < 32; i++) {
            quants[i] = (7 * i + 3) % 32;
            setQuant(block, i, quants[i]);
        }
        float[] expected = new float[32];
        for (int i = 0; i < 32; i++) {
            expected[i] = 0.25f * quants[i] + 1.5f;
        }
        float[] out = new float[32];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 32);
        assertArrayEquals(expected, out);
    }

    @Test
    void quantizeTakesTheMinimumAsOffsetAndThirtyFirstsOfTheRangeAsScale() {
        // min = -1, max = 30: d = 1 (0x3C00), m = -1 (0xBC00), quant = trunc(x + 1 + 0.5).
        float[] x = new float[32];
        float[] head = {-1f, 30f, 0.49f, 0.5f, 14.6f, -0.6f};
        System.arraycopy(head, 0, x, 0, head.length);
        int[] quants = new int[32];
        Arrays.fill(quants, 1);
        int[] headQuants = {0, 31, 1, 2, 16, 0};
        System.arraycopy(headQuants, 0, quants, 0, headQuants.length);
        byte[] expected = new byte[24];
        expected[1] = 0x3C;
        expected[3] = (byte) 0xBC;
        for (int i = 0; i < 32; i++) {
            setQuant(expected, i, quants[i]);
        }
        assertArrayEquals(expected, encode(x));
    }

    @Test
    void quantizeEncodesAnAllZeroBlockAsZeroBytes() {
        assertArrayEquals(new byte[24], encode(new float[32]));
    }

    @Test
    void roundTripErrorIsHalfAStepPlusTheRoundingOfScaleAndOffsetToFp16() {
        // |x − (d'q + m')| ≤ d/2 + 31·2^-11·d + 2^-11·|min|, plus float rounding.
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
                double d = (max - min) / 31.0;
                double bound = d * (0.5 + 31 * 0x1p-11 + 0x1p-16) + 0x1p-11 * Math.abs(min) + 0x1p-20 * Math.abs(max);
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
