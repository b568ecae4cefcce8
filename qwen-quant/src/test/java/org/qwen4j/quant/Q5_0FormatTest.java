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

class Q5_0FormatTest extends BlockFormatContract {

    private final Q5_0Format format = new Q5_0Format();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {0};
    }

    @Override
    int zeroLevel() {
        return 16;
    }

    @Override
    byte[] unitBlock() {
        // d = 1 (fp16 0x3C00): quant q stands for q − 16.
        byte[] block = new byte[22];
        block[1] = 0x3C;
        return block;
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Low four bits in the nibbles after the fp16 scale and qh; the fifth in bit `element` of qh.
        int index = 6 + element % 16;
        int shift = element < 16 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | (level & 0x0F) << shift);
        int qh = 2 + element / 8;
        block[qh] = (byte) (block[qh] & ~(1 << element % 8) | (level >> 4) << element % 8);
    }

    @Test
    void isGgmlType6WithBlocksOf32ValuesIn22Bytes() {
        assertEquals("Q5_0", format.name());
        assertEquals(6, format.ggmlType());
        assertEquals(32, format.blockSize());
        assertEquals(22, format.blockBytes());
        assertEquals(28 * 22L, format.byteSize(896));
    }

    @Test
    void dequantizeTakesTheFifthBitOfValueIFromBitIOfTheLittleEndianWord() {
        // d = 2 (fp16 0x4000); qh = 0xF0F0_00FF: values 0–7, 20–23 and 28–31 have the fifth bit;
        // nibble j is j for the low half and 15 − j for the high half.
        byte[] block = new byte[22];
        block[1] = 0x40;
        block[2] = (byte) 0xFF;
        block[3] = 0x00;
        block[4] = (byte) 0xF0;
        block[5] = (byte) 0xF0;
        for (int j = 0; j < 16; j++) {
            block[6 + j] = (byte) (j | (15 - j) << 4);
        }
        long qh = 0xF0F0_00FFL;
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            expected[j] = 2f * ((j | (int) (qh >> j & 1) << 4) - 16);
            expected[j + 16] = 2f * (((15 - j) | (int) (qh >> (j + 16) & 1) << 4) - 16);
        }
        float[] out = new float[32];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 32);
        assertArrayEquals(expected, out);
    }

    @Test
    void quantizeMapsTheSignedExtremeToLevelZeroAndTruncatesTheRestAfterAddingSixteenAndAHalf() {
        // max = -16: d = max / -16 = 1 (0x3C00), quant = min(31, trunc(x + 16.5)).
        float[] x = new float[32];
        float[] head = {-16f, 15f, 0.5f, -0.5f, 15.9f, -3.7f};
        System.arraycopy(head, 0, x, 0, head.length);
        // quants: -16 → 0, 15 → 31, 0.5 → 17, -0.5 → 16, 15.9 → 32 clipped to 31, -3.7 → 12, 0 → 16.
        int[] quants = new int[32];
        Arrays.fill(quants, 16);
        int[] headQuants = {0, 31, 17, 16, 31, 12};
        System.arraycopy(headQuants, 0, quants, 0, headQuants.length);
        byte[] expected = new byte[22];
        expected[1] = 0x3C;
        for (int i = 0; i < 32; i++) {
            setQuant(expected, i, quants[i]);
        }
        assertArrayEquals(expected, encode(x));
    }

    @Test
    void quantizeEncodesAnAllZeroBlockAsNegativeZeroScaleAndMidpointQuants() {
        // max = 0, d = 0 / -16 = -0 (fp16 0x8000), every quant trunc(16.5) = 16: nibble 0, fifth bit set.
        byte[] expected = new byte[22];
        expected[1] = (byte) 0x80;
        for (int i = 2; i < 6; i++) {
            expected[i] = (byte) 0xFF;
        }
        assertArrayEquals(expected, encode(new float[32]));
    }

    @Test
    void roundTripErrorIsAtMostOneStepPlusTheScaleRoundingToFp16() {
        // As Q4_0 with 16 levels a side: |x − d'(q − 16)| ≤ |d| + 16·2^-11·|d|, plus float rounding;
        // a whole step only for values in the top half step, which has no level above 15.
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
                double d = amax / 16.0;
                double bound = d * (1 + 16 * 0x1p-11 + 0x1p-16);
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
