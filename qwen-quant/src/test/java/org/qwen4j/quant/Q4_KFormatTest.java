package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q4_KFormatTest extends SuperBlockFormatContract {

    private final Q4_KFormat format = new Q4_KFormat();

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
        return 16;
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
        // 64 values per 32 bytes: the first 32 in the low nibbles, the next 32 in the high ones.
        int index = 16 + 32 * (element / 64) + element % 32;
        int shift = element % 64 < 32 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | level << shift);
    }

    /** A super-block with the given fp16 bits, 6-bit scales and minimums packed as the Javadoc says, zero quants. */
    static byte[] block(int d, int dmin, int[] scales, int[] mins) {
        byte[] block = new byte[144];
        block[0] = (byte) d;
        block[1] = (byte) (d >> 8);
        block[2] = (byte) dmin;
        block[3] = (byte) (dmin >> 8);
        for (int j = 0; j < 4; j++) {
            // Low six bits of bytes j and j + 4: scale and minimum j; their top two bits: the high
            // bits of scale and minimum j + 4, whose low four bits fill byte j + 8.
            block[4 + j] = (byte) (scales[j] | (scales[j + 4] >> 4) << 6);
            block[4 + j + 4] = (byte) (mins[j] | (mins[j + 4] >> 4) << 6);
            block[4 + j + 8] = (byte) ((scales[j + 4] & 0x0F) | (mins[j + 4] & 0x0F) << 4);
        }
        return block;
    }

    @Test
    void isGgmlType12WithSuperBlocksOf256ValuesIn144Bytes() {
        assertEquals("Q4_K", format.name());
        assertEquals(12, format.ggmlType());
        assertEquals(256, format.blockSize());
        assertEquals(144, format.blockBytes());
        assertEquals(19 * 144L, format.byteSize(4864));
    }

    @Test
    void dequantizeScalesEachSubBlockAndSubtractsItsMinimum() {
        // d = 2 (fp16 0x4000), dmin = 0.25 (0x3400); 6-bit scales and minimums whose top bits are set
        // in both halves of the packing; every quant 9: value = (2·sc)·9 − 0.25·m.
        int[] scales = {1, 17, 33, 63, 5, 20, 47, 62};
        int[] mins = {0, 63, 16, 31, 48, 7, 32, 1};
        byte[] block = block(0x4000, 0x3400, scales, mins);
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, 9);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = 2f * scales[i / 32] * 9 - 0.25f * mins[i / 32];
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }
}
