package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q3_KFormatTest extends SuperBlockFormatContract {

    private final Q3_KFormat format = new Q3_KFormat();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {108};
    }

    @Override
    int levels() {
        return 8;
    }

    @Override
    int zeroLevel() {
        // Low part 0 with the high bit set.
        return 4;
    }

    @Override
    byte[] unitBlock() {
        // d = 1 and every stored scale 33 (scale +1): level q stands for q − 4.
        int[] stored = new int[16];
        Arrays.fill(stored, 33);
        return block(0x3C00, stored);
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Low two bits: bits 2s, 2s + 1 of byte 32 + 32h + l; high bit: bit element / 32 of hmask[element % 32].
        int index = 32 + 32 * (element / 128) + element % 32;
        int shift = 2 * (element % 128 / 32);
        block[index] = (byte) (block[index] & ~(3 << shift) | (level & 3) << shift);
        int bit = element / 32;
        block[element % 32] = (byte) (block[element % 32] & ~(1 << bit) | (level >> 2) << bit);
    }

    /** A super-block with fp16 bits {@code d} and the sixteen stored (value + 32) scales packed as the Javadoc says. */
    static byte[] block(int d, int[] stored) {
        byte[] block = new byte[110];
        for (int j = 0; j < 16; j++) {
            int low = stored[j] & 0x0F;
            block[96 + j % 8] |= (byte) (j < 8 ? low : low << 4);
            block[96 + 8 + j % 4] |= (byte) ((stored[j] >> 4) << 2 * (j / 4));
        }
        block[108] = (byte) d;
        block[109] = (byte) (d >> 8);
        return block;
    }

    @Test
    void isGgmlType11WithSuperBlocksOf256ValuesIn110Bytes() {
        assertEquals("Q3_K", format.name());
        assertEquals(11, format.ggmlType());
        assertEquals(256, format.blockSize());
        assertEquals(110, format.blockBytes());
        assertEquals(19 * 110L, format.byteSize(4864));
    }

    @Test
    void dequantizeMultipliesBySixBitSubBlockScalesLessThirtyTwo() {
        // d = 0.25 (fp16 0x3400); stored scales 0 … 63 (values −32 … 31); every quant level 6 (+2):
        // value = (0.25·(s − 32))·2.
        int[] stored = {0, 63, 31, 32, 1, 62, 16, 47, 33, 15, 48, 5, 58, 20, 40, 9};
        byte[] block = block(0x3400, stored);
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, 6);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = 0.25f * (stored[i / 16] - 32) * 2;
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }

    @Test
    void dequantizeTakesAClearHighBitAsMinusFour() {
        // d = 1, scales +1: low part p with the high bit clear is p − 4, with it set p.
        byte[] block = unitBlock();
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, i % 8);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = i % 8 - 4;
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }
}
