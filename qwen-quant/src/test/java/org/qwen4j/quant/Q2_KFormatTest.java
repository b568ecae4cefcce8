package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q2_KFormatTest extends SuperBlockFormatContract {

    private final Q2_KFormat format = new Q2_KFormat();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {80, 82};
    }

    @Override
    int levels() {
        return 4;
    }

    @Override
    int zeroLevel() {
        return 0;
    }

    @Override
    byte[] unitBlock() {
        // Every sub-block scale 1 and minimum 0; d = 1 (fp16 0x3C00), dmin = 0.
        byte[] block = new byte[84];
        for (int j = 0; j < 16; j++) {
            block[j] = 0x01;
        }
        block[81] = 0x3C;
        return block;
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Half h, bit pair s, lane l: bits 2s, 2s + 1 of quant byte 32h + l.
        int index = 16 + 32 * (element / 128) + element % 32;
        int shift = 2 * (element % 128 / 32);
        block[index] = (byte) (block[index] & ~(3 << shift) | level << shift);
    }

    @Test
    void isGgmlType10WithSuperBlocksOf256ValuesIn84Bytes() {
        assertEquals("Q2_K", format.name());
        assertEquals(10, format.ggmlType());
        assertEquals(256, format.blockSize());
        assertEquals(84, format.blockBytes());
        assertEquals(19 * 84L, format.byteSize(4864));
    }

    @Test
    void dequantizeScalesEachSubBlockOfSixteenAndSubtractsItsMinimum() {
        // d = 0.5 (fp16 0x3800), dmin = 2 (0x4000); scale byte j: low nibble sc, high nibble m;
        // every quant 3: value = (0.5·sc)·3 − 2·m.
        int[] scales = {0, 15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        int[] mins = {15, 0, 14, 1, 13, 2, 12, 3, 11, 4, 10, 5, 9, 6, 8, 7};
        byte[] block = new byte[84];
        for (int j = 0; j < 16; j++) {
            block[j] = (byte) (scales[j] | mins[j] << 4);
        }
        block[81] = 0x38;
        block[83] = 0x40;
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, 3);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = 0.5f * scales[i / 16] * 3 - 2f * mins[i / 16];
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }
}
