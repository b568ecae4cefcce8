package org.qwen4j.core.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qwen4j.spi.Tensor;

/**
 * Writes a GGUF version 3 file: the header (metadata and tensor infos) first, then the tensor data,
 * streamed tensor by tensor in the order of the infos, so that a model of any size is written with a
 * few megabytes of heap. Every tensor's data starts at a multiple of the alignment
 * ({@code general.alignment} when the metadata sets it, else 32) and is followed by zero padding up
 * to the next multiple, the last one included, as llama.cpp and gguf-py write files.
 *
 * <p>Metadata values are the Java types of {@link org.qwen4j.spi.Metadata}; the GGUF value type of
 * each is chosen as llama.cpp expects it (see {@link GgufMetadataTypes}), so that a file read with
 * {@link GgufReader} and written back is the same file byte for byte when its writer followed
 * llama.cpp's conventions, and the output loads in llama.cpp.
 *
 * <p>The file appears at its path only when it is complete: bytes go to a {@code .part} sibling that
 * {@link #close()} renames once every tensor's data has been written. Closing earlier (an exception
 * while converting) deletes the partial file and throws {@link IllegalStateException}.
 */
public final class GgufWriter implements AutoCloseable {
    /** The GGUF version this writer produces. */
    public static final int VERSION = 3;
    /** Alignment of tensor data when the metadata does not set {@code general.alignment}. */
    public static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml tensors have at most four dimensions; the reader rejects more. */
    private static final int MAX_DIMS = 4;

    private final Path file;
    private final Path partial;
    private final FileChannel channel;
    private final GgufOutput out;
    private final List<GgufTensorInfo> tensors;
    private final int alignment;
    private int current;
    private long writtenOfCurrent;
    private boolean closed;

    private GgufWriter(Path file, Path partial, FileChannel channel, List<GgufTensorInfo> tensors, int alignment) {
        this.file = file;
        this.partial = partial;
        this.channel = channel;
        this.out = new GgufOutput(channel);
        this.tensors = tensors;
        this.alignment = alignment;
    }

    /**
     * Starts a file: checks the metadata and tensor infos, writes the header, and returns a writer
     * that expects the tensors' data in the order of {@code tensors}.
     *
     * @param metadata values in the order they are to appear; types as {@link org.qwen4j.spi.Metadata} documents
     * @throws IllegalArgumentException for a value GGUF cannot store, a duplicate or over-long tensor
     *                                  name, or a shape the format's blocks do not divide
     */
    public static GgufWriter create(Path file, Map<String, ?> metadata, List<GgufTensorInfo> tensors) throws IOException {
        List<GgufTensorInfo> infos = List.copyOf(tensors);
        int alignment = alignment(metadata);
        check(metadata, infos);
        Path partial = file.resolveSibling(file.getFileName() + ".part");
        FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        GgufWriter w = new GgufWriter(file, partial, channel, infos, alignment);
        try {
            w.writeHeader(metadata);
            w.skipFinishedTensors();
        } catch (IOException | RuntimeException e) {
            w.discard();
            throw e;
        }
        return w;
    }

    /**
     * Writes a whole file whose tensor data already exists (mapped from another file, or in memory):
     * the tensors in the order given, each in its own format.
     */
    public static void write(Path file, Map<String, ?> metadata, Collection<Tensor> tensors) throws IOException {
        List<GgufTensorInfo> infos = new ArrayList<>();
        for (Tensor t : tensors) infos.add(GgufTensorInfo.of(t, t.format()));
        try (GgufWriter w = create(file, metadata, infos)) {
            for (Tensor t : tensors) w.write(t.data());
        }
    }

    /** The tensor whose bytes {@link #write} expects next, or null when every tensor is complete. */
    public GgufTensorInfo nextTensor() {
        return current < tensors.size() ? tensors.get(current) : null;
    }

    /**
     * Appends the next bytes of the current tensor's data. A tensor may arrive in several pieces,
     * but one piece must not run past the end of its tensor; the padding after a completed tensor is
     * written here too.
     */
    public void write(MemorySegment bytes) throws IOException {
        if (closed) throw new IllegalStateException("the writer is closed");
        GgufTensorInfo t = nextTensor();
        long size = bytes.byteSize();
        if (t == null) {
            if (size == 0) return;
            throw new IllegalStateException("all " + tensors.size() + " tensors are complete; " + size + " more bytes were given");
        }
        long left = t.byteSize() - writtenOfCurrent;
        if (size > left) {
            throw new IllegalArgumentException(size + " bytes given but only " + left + " of " + t.name()
                    + " remain; a write must not cross the end of its tensor");
        }
        out.segment(bytes);
        writtenOfCurrent += size;
        skipFinishedTensors();
    }

    /** Pads after each complete tensor and moves on, which also steps over empty tensors. */
    private void skipFinishedTensors() throws IOException {
        while (current < tensors.size() && writtenOfCurrent == tensors.get(current).byteSize()) {
            out.zeros(padding(writtenOfCurrent));
            current++;
            writtenOfCurrent = 0;
        }
    }

    /**
     * Completes the file: flushes it and moves it to its path. If some tensor data is missing, the
     * partial file is deleted and an {@link IllegalStateException} says which tensor was incomplete.
     */
    @Override
    public void close() throws IOException {
        if (closed) return;
        GgufTensorInfo missing = nextTensor();
        if (missing != null) {
            long written = writtenOfCurrent;
            discard();
            throw new IllegalStateException("the GGUF writer for " + file + " was closed with tensor " + missing.name()
                    + " incomplete (" + written + " of " + missing.byteSize() + " bytes); the partial file was deleted");
        }
        closed = true;
        try (channel) {
            out.flush();
        }
        try {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void discard() throws IOException {
        closed = true;
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private long padding(long size) {
        return (alignment - size % alignment) % alignment;
    }

    private void writeHeader(Map<String, ?> metadata) throws IOException {
        out.u32(GgufReader.MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, ?> e : metadata.entrySet()) {
            String key = e.getKey();
            GgufValueType type = key.equals(ALIGNMENT_KEY) ? GgufValueType.UINT32 : GgufMetadataTypes.of(key, e.getValue());
            out.string(key);
            out.u32(type.ordinal());
            writeValue(key, type, e.getValue());
        }
        long offset = 0;
        for (GgufTensorInfo t : tensors) {
            long[] shape = t.shape();
            out.string(t.name());
            out.u32(shape.length);
            for (long d : shape) out.u64(d);
            out.u32(t.format().ggmlType());
            out.u64(offset);
            offset += t.byteSize() + padding(t.byteSize());
        }
        // The data section starts aligned. A file without tensors has no data section, and gguf-py
        // (which wrote llama.cpp's vocabulary files) then ends it at the last metadata byte.
        if (!tensors.isEmpty()) out.zeros(padding(out.position()));
    }

    private void writeValue(String key, GgufValueType type, Object value) throws IOException {
        switch (type) {
            case STRING -> out.string((String) value);
            case BOOL -> out.u8((Boolean) value ? 1 : 0);
            case UINT16 -> out.u16((int) (long) (Long) value);
            case UINT32, INT32 -> out.u32((int) (long) (Long) value);
            case UINT64, INT64 -> out.u64((Long) value);
            case FLOAT32 -> out.f32((float) (double) (Double) value);
            case ARRAY -> writeArray(key, value);
            default -> throw new IllegalStateException("no scalar encoding for " + type);
        }
    }

    private void writeArray(String key, Object array) throws IOException {
        GgufValueType element = GgufMetadataTypes.elementOf(key, array);
        out.u32(element.ordinal());
        switch (array) {
            case String[] a -> {
                out.u64(a.length);
                for (String s : a) out.string(s);
            }
            case boolean[] a -> {
                out.u64(a.length);
                for (boolean b : a) out.u8(b ? 1 : 0);
            }
            case double[] a -> {
                out.u64(a.length);
                for (double d : a) out.f32((float) d);
            }
            case long[] a -> {
                out.u64(a.length);
                for (long v : a) {
                    switch (element) {
                        case UINT8 -> out.u8((int) v);
                        case INT32, UINT32 -> out.u32((int) v);
                        default -> out.u64(v);
                    }
                }
            }
            case Object[] a -> {
                out.u64(a.length);
                for (Object inner : a) writeArray(key, inner);
            }
            default -> throw new IllegalArgumentException("metadata key '" + key + "' is not an array");
        }
    }

    private static int alignment(Map<String, ?> metadata) {
        Object a = metadata.get(ALIGNMENT_KEY);
        if (a == null) return DEFAULT_ALIGNMENT;
        if (a instanceof Long l && l > 0 && l <= (1L << 30) && Long.bitCount(l) == 1) return (int) (long) l;
        throw new IllegalArgumentException(ALIGNMENT_KEY + " must be a power of two from 1 to 2^30 (a Long), got " + a);
    }

    private static void check(Map<String, ?> metadata, List<GgufTensorInfo> tensors) {
        for (Map.Entry<String, ?> e : metadata.entrySet()) {
            String key = e.getKey();
            if (key.getBytes(StandardCharsets.UTF_8).length > GgufReader.MAX_KEY_BYTES) {
                throw new IllegalArgumentException("metadata key '" + key.substring(0, 40) + "…' is longer than "
                        + GgufReader.MAX_KEY_BYTES + " bytes");
            }
            checkValue(key, e.getValue(), 0);
        }
        Set<String> names = new HashSet<>();
        for (GgufTensorInfo t : tensors) {
            if (!names.add(t.name())) throw new IllegalArgumentException("duplicate tensor name " + t.name());
            if (t.name().getBytes(StandardCharsets.UTF_8).length > GgufReader.MAX_TENSOR_NAME_BYTES) {
                throw new IllegalArgumentException("tensor name " + t.name() + " is longer than "
                        + GgufReader.MAX_TENSOR_NAME_BYTES + " bytes, which llama.cpp rejects");
            }
            long[] shape = t.shape();
            if (shape.length < 1 || shape.length > MAX_DIMS) {
                throw new IllegalArgumentException(t.name() + " has " + shape.length + " dimensions; 1 to " + MAX_DIMS
                        + " are allowed");
            }
            for (long d : shape) {
                if (d <= 0) throw new IllegalArgumentException(t.name() + " has a dimension of " + d);
            }
            if (shape[0] % t.format().blockSize() != 0) {
                throw new IllegalArgumentException(t.name() + ": row length " + shape[0] + " is not a multiple of the "
                        + t.format().name() + " block size " + t.format().blockSize());
            }
        }
    }

    /** Rejects what the value-type rules cannot encode, before the file is created. */
    private static void checkValue(String key, Object value, int depth) {
        if (depth > GgufReader.MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata key '" + key + "' nests arrays deeper than "
                    + GgufReader.MAX_ARRAY_NESTING);
        }
        if (depth == 0) {
            GgufMetadataTypes.of(key, value);
        } else {
            GgufMetadataTypes.elementOf(key, value);
        }
        if (value instanceof String[] a) {
            for (String s : a) {
                if (s == null) throw new IllegalArgumentException("metadata key '" + key + "' holds a null string");
            }
        } else if (value instanceof Object[] a) {
            for (Object inner : a) {
                if (inner == null) throw new IllegalArgumentException("metadata key '" + key + "' holds a null array");
                checkValue(key, inner, depth + 1);
            }
        }
    }
}
