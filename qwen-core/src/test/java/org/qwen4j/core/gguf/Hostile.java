package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Tensor;

/**
 * Opens hostile GGUF images and checks the one allowed outcome: a {@link ModelFormatException}.
 * Single cases go through {@link GgufReader#open} on a real file, as users call it; the bulk loops
 * (every truncation, fuzzing) parse a heap copy so that they do not write gigabytes of files.
 */
final class Hostile {
    static final Path IN_MEMORY = Path.of("in-memory.gguf");

    private Hostile() {
    }

    /** Writes {@code bytes} to a fresh file in {@code dir} and asserts that opening it is rejected. */
    static ModelFormatException rejectsFile(Path dir, byte[] bytes) {
        Path file = write(dir, bytes);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufReader.open(file).close());
        if (!file.equals(e.file())) fail("the exception names " + e.file() + ", not the file opened: " + e.getMessage());
        return e;
    }

    static ModelFormatException rejectsFile(Path dir, GgufTestFileBuilder.Built built) {
        return rejectsFile(dir, built.bytes());
    }

    /** Asserts that parsing a heap copy of {@code bytes} is rejected. */
    static ModelFormatException rejects(byte[] bytes) {
        return assertThrows(ModelFormatException.class, () -> parse(bytes).close());
    }

    static GgufSource parse(byte[] bytes) {
        return GgufReader.parse(IN_MEMORY, MemorySegment.ofArray(bytes), Arena.ofConfined());
    }

    static GgufSource open(Path dir, byte[] bytes) {
        return GgufReader.open(write(dir, bytes));
    }

    static Path write(Path dir, byte[] bytes) {
        try {
            return Files.write(Files.createTempFile(dir, "hostile", ".gguf"), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A file of {@code size} bytes that starts with {@code head} and is zero after it, written sparse,
     * so that a length that honestly fits a large file costs no disk and no time.
     */
    static Path sparse(Path dir, byte[] head, long size) {
        try {
            Path file = Files.createTempFile(dir, "sparse", ".gguf");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.write(head);
                raf.setLength(size);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tensors of an opened file are whole views: exactly as many bytes as their shapes need. */
    static void checkViews(GgufSource src, String context) {
        for (Tensor t : src.tensors().values()) {
            long expected = t.format().byteSize(t.elements());
            if (t.data().byteSize() != expected) {
                fail(context + ": tensor " + t + " has " + t.data().byteSize() + " bytes, its shape needs " + expected);
            }
        }
    }

    /** Bytes the current thread allocated so far on the heap (HotSpot's per-thread counter). */
    static long allocatedBytes() {
        try {
            long bytes = (long) ALLOCATED.invoke(THREADS, Thread.currentThread().threadId());
            // -1 means the JVM does not count; every cost would read as zero and every bound would pass.
            if (bytes < 0) throw new IllegalStateException("this JVM does not count per-thread allocation");
            return bytes;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the thread's allocation counter", e);
        }
    }

    // Reflection because the test classes are patched into org.qwen4j.core, which does not read
    // java.management or jdk.management; both are in the boot layer, and reflection needs no read edge.
    private static final Object THREADS;
    private static final Method ALLOCATED;

    static {
        try {
            THREADS = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            ALLOCATED = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
