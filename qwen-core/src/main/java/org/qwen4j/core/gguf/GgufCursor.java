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
 *
 * <p>Reads inside arrays take the key and the element index separately and build the field name
 * ({@code key[index]}) only when they fail: the token arrays of a vocabulary hold ~10^5 elements and
 * must not cost a string concatenation each.
 */
final class GgufCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Index meaning "not an array element". */
    static final long NO_INDEX = -1;

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;
    private final byte[] scratch = new byte[4096];

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

    ModelFormatException error(String key, long index, String problem) {
        return error(fieldName(key, index, ""), problem);
    }

    private static String fieldName(String key, long index, String suffix) {
        return (index == NO_INDEX ? key : key + "[" + index + "]") + suffix;
    }

    private void need(long bytes, String key, long index, String suffix) {
        if (bytes > remaining()) {
            throw error(fieldName(key, index, suffix), "file ends after " + remaining() + " more bytes but " + bytes
                    + " are needed (truncated file?)");
        }
    }

    int u8(String field) {
        return u8(field, NO_INDEX);
    }

    int u8(String key, long index) {
        need(1, key, index, "");
        return segment.get(ValueLayout.JAVA_BYTE, position++) & 0xFF;
    }

    int u16(String field) {
        need(2, field, NO_INDEX, "");
        int v = segment.get(I16, position) & 0xFFFF;
        position += 2;
        return v;
    }

    int i32(String field) {
        return i32(field, "");
    }

    private int i32(String key, String suffix) {
        need(4, key, NO_INDEX, suffix);
        int v = segment.get(I32, position);
        position += 4;
        return v;
    }

    long u32(String field) {
        return i32(field, "") & 0xFFFF_FFFFL;
    }

    /** A u32 of the field named {@code key + suffix}; the name is built only if the read fails. */
    long u32(String key, String suffix) {
        return i32(key, suffix) & 0xFFFF_FFFFL;
    }

    long i64(String field) {
        return i64(field, NO_INDEX, "");
    }

    /** An i64 of the field named {@code key + suffix}; the name is built only if the read fails. */
    long i64(String key, String suffix) {
        return i64(key, NO_INDEX, suffix);
    }

    private long i64(String key, long index, String suffix) {
        need(8, key, index, suffix);
        long v = segment.get(I64, position);
        position += 8;
        return v;
    }

    /** A count or length stored as u64 that must fit the rest of the file at {@code minBytesEach} bytes per item. */
    long count(String field, long minBytesEach) {
        return count(field, NO_INDEX, "", minBytesEach);
    }

    /** A count of the field named {@code key + suffix}; the name is built only if the count is wrong. */
    long count(String key, String suffix, long minBytesEach) {
        return count(key, NO_INDEX, suffix, minBytesEach);
    }

    private long count(String key, long index, String suffix, long minBytesEach) {
        long at = position;
        long n = i64(key, index, suffix);
        long left = remaining();
        if (n < 0 || (minBytesEach > 0 && n > left / minBytesEach)) {
            position = at;
            throw error(fieldName(key, index, suffix), "count " + Long.toUnsignedString(n) + " cannot fit in the " + left
                    + " bytes left in the file");
        }
        return n;
    }

    String string(String field, int maxBytes) {
        return string(field, NO_INDEX, maxBytes);
    }

    /**
     * A length-prefixed UTF-8 string of at most {@code maxBytes} bytes. The cap is checked before
     * anything is allocated, so a corrupted length fails at its own field instead of turning a large
     * slice of the file into one string.
     */
    String string(String key, long index, int maxBytes) {
        long at = position;
        long len = count(key, index, "", 1);
        if (len > maxBytes) {
            position = at;
            throw error(key, index, "string length " + len + " exceeds the limit of " + maxBytes + " bytes");
        }
        if (len == 0) return "";
        int n = (int) len;
        byte[] bytes;
        if (n <= scratch.length) {
            // Vocabularies hold ~10^5 short strings; one reused buffer saves a temporary array for each.
            bytes = scratch;
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, bytes, 0, n);
        } else {
            bytes = segment.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE);
        }
        position += n;
        // Lenient decoding like llama.cpp: a stray invalid byte in a token string must not reject a usable file.
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    /** Reads an array of {@code n} little-endian integers of {@code bytesEach} bytes. */
    long[] integers(String key, int n, int bytesEach, boolean signed) {
        need((long) n * bytesEach, key, NO_INDEX, "");
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            long p = position + (long) i * bytesEach;
            a[i] = switch (bytesEach) {
                case 1 -> signed ? segment.get(ValueLayout.JAVA_BYTE, p) : segment.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
                case 2 -> signed ? segment.get(I16, p) : segment.get(I16, p) & 0xFFFF;
                case 4 -> signed ? segment.get(I32, p) : segment.get(I32, p) & 0xFFFF_FFFFL;
                default -> segment.get(I64, p);
            };
        }
        position += (long) n * bytesEach;
        return a;
    }

    /** Reads an array of {@code n} little-endian floats (4 bytes) or doubles (8 bytes). */
    double[] floats(String key, int n, int bytesEach) {
        need((long) n * bytesEach, key, NO_INDEX, "");
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            long p = position + (long) i * bytesEach;
            a[i] = bytesEach == 4 ? Float.intBitsToFloat(segment.get(I32, p)) : Double.longBitsToDouble(segment.get(I64, p));
        }
        position += (long) n * bytesEach;
        return a;
    }

    void seek(long newPosition) {
        position = newPosition;
    }
}
