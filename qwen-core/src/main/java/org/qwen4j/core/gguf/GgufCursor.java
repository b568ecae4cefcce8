package org.qwen4j.core.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.qwen4j.ModelFormatException;

/**
 * A bounds-checked little-endian reader over the mapped file. Every read checks the remaining bytes
 * first, so a truncated or lying header ends in a {@link ModelFormatException} with the offset and the
 * field being read, never in an exception from the memory API.
 */
final class GgufCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;

    GgufCursor(Path file, MemorySegment segment) {
        this.file = file;
        this.segment = segment;
        this.size = segment.byteSize();
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    ModelFormatException error(String field, String problem) {
        return new ModelFormatException(file, position, field, problem);
    }

    private void need(long bytes, String field) {
        if (bytes > remaining()) {
            throw error(field, "file ends after " + remaining() + " more bytes but " + bytes + " are needed (truncated file?)");
        }
    }

    int u8(String field) {
        need(1, field);
        return segment.get(ValueLayout.JAVA_BYTE, position++) & 0xFF;
    }

    int u16(String field) {
        need(2, field);
        int v = segment.get(I16, position) & 0xFFFF;
        position += 2;
        return v;
    }

    int i32(String field) {
        need(4, field);
        int v = segment.get(I32, position);
        position += 4;
        return v;
    }

    long u32(String field) {
        return i32(field) & 0xFFFF_FFFFL;
    }

    long i64(String field) {
        need(8, field);
        long v = segment.get(I64, position);
        position += 8;
        return v;
    }

    /** A count or length stored as u64 that must fit the rest of the file at {@code minBytesEach} bytes per item. */
    long count(String field, long minBytesEach) {
        long at = position;
        long n = i64(field);
        if (n < 0 || (minBytesEach > 0 && n > remaining() / minBytesEach)) {
            position = at;
            throw error(field, "count " + Long.toUnsignedString(n) + " cannot fit in the " + remaining()
                    + " bytes left in the file");
        }
        return n;
    }

    String string(String field) {
        long at = position;
        long len = count(field, 1);
        if (len > Integer.MAX_VALUE - 8) {
            position = at;
            throw error(field, "string length " + len + " is absurd");
        }
        // Lenient decoding like llama.cpp: a stray invalid byte in a token string must not reject a usable file.
        String s = new String(segment.asSlice(position, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        position += len;
        return s;
    }

    void seek(long newPosition) {
        position = newPosition;
    }
}
