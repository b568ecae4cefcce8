package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;

/**
 * The 6-bit sub-block scales of the K-quants, packed into 12 bytes per super-block in two ways.
 * The readers take the 12 bytes as a little-endian {@code long} (bytes 0–7) and {@code int}
 * (bytes 8–11), so that a kernel loads them once per super-block and unpacks with shifts.
 *
 * <p>Q4_K and Q5_K keep eight scales and eight minimums ({@code get_scale_min_k4}): for
 * {@code j < 4}, the low six bits of byte {@code j} are scale {@code j} and those of byte
 * {@code j + 4} are minimum {@code j}; for {@code j ≥ 4}, byte {@code j + 4} holds the low four
 * bits of scale {@code j} (low nibble) and of minimum {@code j} (high nibble), and their top two
 * bits sit in the top two bits of bytes {@code j − 4} and {@code j}.
 *
 * <p>Q3_K keeps sixteen scales, each stored as {@code s + 32}: the low four bits of scale {@code j}
 * are the low nibble of byte {@code j} ({@code j < 8}) or the high nibble of byte {@code j − 8},
 * and its top two bits are bits {@code 2·(j/4)} and up of byte {@code 8 + j % 4}.
 */
final class SixBitScales {

    /** Bytes of packed scales per super-block, in both layouts. */
    static final int BYTES = 12;

    private SixBitScales() {
    }

    /** Bytes 0–7 of the packed scales at {@code at}. */
    static long low(MemorySegment s, long at) {
        return s.get(Blocks.LONG_LE, at);
    }

    /** Bytes 8–11 of the packed scales at {@code at}. */
    static int high(MemorySegment s, long at) {
        return s.get(Blocks.INT_LE, at + 8);
    }

    /**
     * The eight scales of a Q4_K/Q5_K super-block, scale {@code j} in byte {@code j}: unpacked four
     * at a time with masks, so that a kernel pays a few operations per super-block rather than a
     * branch and several shifts per sub-block.
     */
    static long kScales(long low, int high) {
        long first = low & 0x3F3F3F3FL;
        long last = (high & 0x0F0F0F0FL) | (low >>> 6 & 0x03030303L) << 4;
        return first | last << 32;
    }

    /** The eight minimums of a Q4_K/Q5_K super-block, minimum {@code j} in byte {@code j}. */
    static long kMins(long low, int high) {
        long first = low >>> 32 & 0x3F3F3F3FL;
        long last = (high >>> 4 & 0x0F0F0F0FL) | (low >>> 38 & 0x03030303L) << 4;
        return first | last << 32;
    }

    /** Byte {@code j} of eight unpacked scales or minimums. */
    static int byteAt(long packed, int j) {
        return (int) (packed >>> 8 * j) & 0xFF;
    }

    /** {@code Σ_j byteAt(packed, j) · x[at + j]} over the eight bytes, in order: the minimums' share of a super-block. */
    static float dotBytes(long packed, float[] x, int at) {
        float sum = 0f;
        for (int j = 0; j < 8; j++) sum += byteAt(packed, j) * x[at + j];
        return sum;
    }

    /** Packs eight 6-bit scales and minimums in the Q4_K/Q5_K layout at {@code at}. */
    static void putK(MemorySegment s, long at, int[] scales, int[] mins) {
        for (int j = 0; j < 4; j++) {
            Blocks.putU8(s, at + j, scales[j] | (scales[j + 4] >>> 4) << 6);
            Blocks.putU8(s, at + j + 4, mins[j] | (mins[j + 4] >>> 4) << 6);
            Blocks.putU8(s, at + j + 8, (scales[j + 4] & 0x0F) | (mins[j + 4] & 0x0F) << 4);
        }
    }

    /** Stored scale {@code j} (0 … 15; the value plus 32) of a Q3_K super-block. */
    static int q3Scale(long low, int high, int j) {
        int lowBits = (int) (low >>> 8 * (j % 8) + (j < 8 ? 0 : 4)) & 0x0F;
        int highBits = high >>> 8 * (j % 4) + 2 * (j / 4) & 3;
        return lowBits | highBits << 4;
    }

    /** Packs sixteen stored (value plus 32, 0 … 63) scales in the Q3_K layout at {@code at}. */
    static void putQ3(MemorySegment s, long at, int[] stored) {
        for (int j = 0; j < 8; j++) {
            Blocks.putU8(s, at + j, (stored[j] & 0x0F) | (stored[j + 8] & 0x0F) << 4);
        }
        for (int k = 0; k < 4; k++) {
            int high = 0;
            for (int group = 0; group < 4; group++) {
                high |= (stored[4 * group + k] >>> 4) << (2 * group);
            }
            Blocks.putU8(s, at + 8 + k, high);
        }
    }
}
