package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Argument checks and field accessors shared by the block formats, so that a bad length fails
 * before any byte is read and every format reads its fp16 and byte fields the same way.
 */
final class Blocks {

    /** ggml stores its fp16 scales little-endian and packs blocks without alignment. */
    static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's {@code uint32_t} high-bit fields, little-endian and unaligned; also four packed bytes at once. */
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Eight packed bytes at once: the kernels read a super-block's scales in one or two loads. */
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Blocks() {
    }

    /** Fails unless {@code n} is a non-negative whole number of blocks. */
    static void checkLength(int n, int blockSize) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException(
                    "length " + n + " is not a non-negative multiple of the block size " + blockSize);
        }
    }

    /** The fp16 at {@code offset}, widened to float (exactly: every fp16 value is a float). */
    static float fp16(MemorySegment segment, long offset) {
        return Float.float16ToFloat(segment.get(SHORT_LE, offset));
    }

    /** Stores {@code value} rounded to the nearest fp16, ties to even, as ggml's conversion does. */
    static void putFp16(MemorySegment segment, long offset, float value) {
        segment.set(SHORT_LE, offset, Float.floatToFloat16(value));
    }

    /** The unsigned byte at {@code offset}. */
    static int u8(MemorySegment segment, long offset) {
        return segment.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** Stores the low eight bits of {@code value}, as a C assignment to {@code uint8_t} does. */
    static void putU8(MemorySegment segment, long offset, int value) {
        segment.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }
}
