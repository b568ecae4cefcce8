package org.qwen4j.core.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian primitives and raw segments appended to a file channel through one buffer. Small
 * writes (header fields, metadata) collect in the buffer; large segments (tensor data) go to the
 * channel directly, in slices, so that a mapped tensor of several gigabytes is never copied to the heap.
 */
final class GgufOutput {
    private static final int BUFFER_BYTES = 1 << 20;
    /** {@link MemorySegment#asByteBuffer()} cannot view more than 2^31 - 1 bytes at once. */
    private static final long MAX_SLICE = 1 << 30;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    GgufOutput(FileChannel channel) {
        this.channel = channel;
    }

    /** Bytes appended so far, buffered or not. */
    long position() {
        return position;
    }

    private ByteBuffer room(int bytes) throws IOException {
        if (buffer.remaining() < bytes) flush();
        position += bytes;
        return buffer;
    }

    void u8(int v) throws IOException {
        room(1).put((byte) v);
    }

    void u16(int v) throws IOException {
        room(2).putShort((short) v);
    }

    void u32(int v) throws IOException {
        room(4).putInt(v);
    }

    void u64(long v) throws IOException {
        room(8).putLong(v);
    }

    void f32(float v) throws IOException {
        room(4).putFloat(v);
    }

    void f64(double v) throws IOException {
        room(8).putDouble(v);
    }

    /** A GGUF string: u64 byte length, then the UTF-8 bytes without a terminator. */
    void string(String s) throws IOException {
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private void bytes(byte[] b) throws IOException {
        u64(b.length);
        if (b.length <= buffer.capacity()) {
            room(b.length).put(b);
        } else {
            segment(MemorySegment.ofArray(b));
        }
    }

    /** {@code n} zero bytes. */
    void zeros(long n) throws IOException {
        for (long i = 0; i < n; i++) u8(0);
    }

    /** The whole segment, written without going through the heap when it is mapped or native. */
    void segment(MemorySegment data) throws IOException {
        flush();
        long size = data.byteSize();
        for (long off = 0; off < size; off += MAX_SLICE) {
            ByteBuffer slice = data.asSlice(off, Math.min(MAX_SLICE, size - off)).asByteBuffer();
            while (slice.hasRemaining()) channel.write(slice);
        }
        position += size;
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) channel.write(buffer);
        buffer.clear();
    }
}
