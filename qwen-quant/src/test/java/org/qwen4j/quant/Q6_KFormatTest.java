package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class Q6_KFormatTest extends SuperBlockFormatContract {

    private final Q6_KFormat format = new Q6_KFormat();

    @Override
    TensorFormat format() {
        return format;
    }

    @Override
    int[] fp16Offsets() {
        return new int[] {208};
    }

    @Override
    int levels() {
        return 64;
    }

    @Override
    int zeroLevel() {
        return 32;
    }

    @Override
    byte[] unitBlock() {
        // d = 1, every sub-block scale 1: level q stands for q − 32.
        byte[] block = new byte[210];
        for (int j = 0; j < 16; j++) {
            block[192 + j] = 1;
        }
        block[209] = 0x3C;
        return block;
    }

    @Override
    void setQuant(byte[] block, int element, int level) {
        // Half h, quarter t, lane l: the low nibble (t < 2) or high nibble (t ≥ 2) of
        // ql[64h + l + 32·(t odd)], and bits 2t, 2t + 1 of qh[32h + l].
        int h = element / 128;
        int t = element % 128 / 32;
        int l = element % 32;
        int index = 64 * h + l + (t % 2 == 1 ? 32 : 0);
        int shift = t < 2 ? 0 : 4;
        block[index] = (byte) (block[index] & ~(0x0F << shift) | (level & 0x0F) << shift);
        int high = 128 + 32 * h + l;
        block[high] = (byte) (block[high] & ~(3 << 2 * t) | (level >> 4) << 2 * t);
    }

    @Test
    void isGgmlType14WithSuperBlocksOf256ValuesIn210Bytes() {
        assertEquals("Q6_K", format.name());
        assertEquals(14, format.ggmlType());
        assertEquals(256, format.blockSize());
        assertEquals(210, format.blockBytes());
        assertEquals(19 * 210L, format.byteSize(4864));
    }

    @Test
    void dequantizeMultipliesBySignedSubBlockScalesOfSixteenValues() {
        // d = 0.5 (fp16 0x3800), signed 8-bit scales including both extremes, every quant 40:
        // value = (0.5·sc)·(40 − 32) = 4·sc.
        int[] scales = {-128, 127, -1, 0, 5, 64, -64, 3, 100, -100, 7, -7, 1, 2, 99, -3};
        byte[] block = new byte[210];
        for (int j = 0; j < 16; j++) {
            block[192 + j] = (byte) scales[j];
        }
        block[209] = 0x38;
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, 40);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = 4f * scales[i / 16];
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }

    @Test
    void dequantizeSpansLevelsMinus32To31() {
        // d = 1, scales 1: level q decodes to q − 32, for every q in both halves and all quarters.
        byte[] block = unitBlock();
        for (int i = 0; i < 256; i++) {
            setQuant(block, i, i % 64);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = i % 64 - 32;
        }
        float[] out = new float[256];
        format.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
        assertArrayEquals(expected, out);
    }
}
