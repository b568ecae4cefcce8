package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q5_KFormatTest extends SuperBlockFormatContract {

    private final Q5_KFormat format = new Q5_KFormat();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {0, 2};
    }

    @Override
    int levels() {
        return 32;
    }

    @Override
    int zeroLevel() {
        return 0;
    }

    @Override
    byte[] unitBlock() {
        // d = 1, dmin = 0, every sub-block scale 1 and minimum 0.
        int[] ones = {1, 1, 1, 1, 1, 1, 1, 1};
        return block(0x3C00, 0x0000, ones, new int[8]);
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Low four bits as in Q4_K, after the 32 bytes qh; the fifth bit of value 64g + r (r < 64)
        // is bit 2g (r < 32) or 2g + 1 (r ≥ 32) of qh[r % 32].
        int g = element / 64;
        int r = element % 64;
        int index = 48 + 32 * g + r % 32;
        int shift = r < 32 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | (level & 0x0F) << shift);
        int bit = 2 * g + (r < 32 ? 0 : 1);
        block[16 + r % 32] = (byte) (block[16 + r % 32] & ~(1 << bit) | (level >> 4) << bit);
    }

    /** A super-block with Q4_K's header (see {@link Q4_KFormatTest#block}), no high bits and zero quants. */
    static byte[] block(int d, int dmin, int[] scales, int[] mins) {
        return Arrays.copyOf(Q4_KFormatTest.block(d, dmin, scales, mins), 176);
    }

    @Test
    void isGgmlType13WithSuperBlocksOf256ValuesIn176Bytes() {
        assertEquals("Q5_K", format.name());
        assertEquals(13, format.ggmlType());
        assertEquals(256, format.blockSize());
        assertEquals(176, format.blockBytes());
        assertEquals(19 * 176L, format.byteSize(4864));
    }

    @Test
    void dequantizeScalesEachSubBlockAndSubtractsItsMinimum() {
        // d = 2, dmin = 0.25; every quant 21 (fifth bit set): value = (2·sc)·21 − 0.25·m.
        int[] scales = {1, 17, 33, 63, 5, 20, 47, 62};
        int[] mins = {0, 63, 16, 31, 48, 7, 32, 1};
        byte[] block = block(0x4000, 0x3400, scales, mins);
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, 21);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = 2f * scales[i / 32] * 21 - 0.25f * mins[i / 32];
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }
}
