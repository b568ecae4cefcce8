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
 *
 * <p>Scalars and strings are read from a copy of the next {@value #WINDOW_BYTES} bytes on the heap.
 * The metadata is parsed once per open, mostly before the JIT has compiled this class, and a
 * {@code MemorySegment.get} costs dozens of calls in the interpreter where an array read costs one
 * bytecode; the vocabulary's ~300,000 strings made that most of the parse time.
 */
final class GgufCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Index meaning "not an array element". */
    static final long NO_INDEX = -1;
    static final int WINDOW_BYTES = 1 << 16;
    /**
     * Arrays this long are copied in one piece and widened on the heap (a vocabulary's token types
     * are ~150,000); shorter ones are read from the window, so that a file of many tiny nested
     * arrays costs no temporary array each.
     */
    private static final int BULK_ELEMENTS = 64;

    private final Path file;
    private final MemorySegment segment;
    private final long size;
    private long position;
    /** Bytes {@code [windowStart, windowStart + windowLength)} of the file. */
    private final byte[] window = new byte[WINDOW_BYTES];
    private long windowStart;
    private int windowLength;

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
        int v = window[inWindow(1)] & 0xFF;
        position++;
        return v;
    }

    int u16(String field) {
        need(2, field, NO_INDEX, "");
        int v = littleEndianShort(inWindow(2));
        position += 2;
        return v;
    }

    /**
     * The index in {@link #window} of the byte at {@link #position}, after moving the window so that
     * the next {@code bytes} bytes (at most {@link #WINDOW_BYTES}, all inside the file) lie in it.
     */
    private int inWindow(int bytes) {
        long offset = position - windowStart;
        if (offset < 0 || offset + bytes > windowLength) {
            windowStart = position;
            windowLength = (int) Math.min(WINDOW_BYTES, size - position);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, window, 0, windowLength);
            offset = 0;
        }
        return (int) offset;
    }

    private int littleEndianShort(int at) {
        return (window[at] & 0xFF) | (window[at + 1] & 0xFF) << 8;
    }

    private int littleEndianInt(int at) {
        return (window[at] & 0xFF) | (window[at + 1] & 0xFF) << 8 | (window[at + 2] & 0xFF) << 16 | window[at + 3] << 24;
    }

    private long littleEndianLong(int at) {
        return littleEndianInt(at) & 0xFFFF_FFFFL | (long) littleEndianInt(at + 4) << 32;
    }

    int i32(String field) {
        return i32(field, "");
    }

    private int i32(String key, String suffix) {
        need(4, key, NO_INDEX, suffix);
        int v = littleEndianInt(inWindow(4));
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
        long v = littleEndianLong(inWindow(8));
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
        // Lenient decoding like llama.cpp: a stray invalid byte in a token string must not reject a usable file.
        String s = n <= WINDOW_BYTES
                ? new String(window, inWindow(n), n, StandardCharsets.UTF_8)
                : new String(segment.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        position += n;
        return s;
    }

    /** Reads an array of {@code n} little-endian integers of {@code bytesEach} bytes. */
    long[] integers(String key, int n, int bytesEach, boolean signed) {
        need((long) n * bytesEach, key, NO_INDEX, "");
        long[] a = new long[n];
        if (n < BULK_ELEMENTS) {
            for (int i = 0; i < n; i++) {
                int at = inWindow(bytesEach);
                a[i] = switch (bytesEach) {
                    case 1 -> signed ? window[at] : window[at] & 0xFF;
                    case 2 -> signed ? (short) littleEndianShort(at) : littleEndianShort(at);
                    case 4 -> signed ? littleEndianInt(at) : littleEndianInt(at) & 0xFFFF_FFFFL;
                    default -> littleEndianLong(at);
                };
                position += bytesEach;
            }
            return a;
        }
        switch (bytesEach) {
            case 1 -> {
                byte[] b = new byte[n];
                MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, position, b, 0, n);
                for (int i = 0; i < n; i++) a[i] = signed ? b[i] : b[i] & 0xFF;
            }
            case 2 -> {
                short[] b = new short[n];
                MemorySegment.copy(segment, I16, position, b, 0, n);
                for (int i = 0; i < n; i++) a[i] = signed ? b[i] : b[i] & 0xFFFF;
            }
            case 4 -> {
                int[] b = new int[n];
                MemorySegment.copy(segment, I32, position, b, 0, n);
                for (int i = 0; i < n; i++) a[i] = signed ? b[i] : b[i] & 0xFFFF_FFFFL;
            }
            default -> MemorySegment.copy(segment, I64, position, a, 0, n);
        }
        position += (long) n * bytesEach;
        return a;
    }

    /** Reads an array of {@code n} little-endian floats (4 bytes) or doubles (8 bytes). */
    double[] floats(String key, int n, int bytesEach) {
        need((long) n * bytesEach, key, NO_INDEX, "");
        double[] a = new double[n];
        if (n < BULK_ELEMENTS) {
            for (int i = 0; i < n; i++) {
                int at = inWindow(bytesEach);
                a[i] = bytesEach == 4 ? Float.intBitsToFloat(littleEndianInt(at)) : Double.longBitsToDouble(littleEndianLong(at));
                position += bytesEach;
            }
            return a;
        }
        if (bytesEach == 4) {
            float[] f = new float[n];
            MemorySegment.copy(segment, F32, position, f, 0, n);
            for (int i = 0; i < n; i++) a[i] = f[i];
        } else {
            MemorySegment.copy(segment, F64, position, a, 0, n);
        }
        position += (long) n * bytesEach;
        return a;
    }

    void seek(long newPosition) {
        position = newPosition;
    }
}
