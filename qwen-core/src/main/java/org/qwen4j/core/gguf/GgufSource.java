package org.qwen4j.core.gguf;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/** An opened GGUF file. Its tensors are views of a mapping that {@link #close()} releases. */
public final class GgufSource implements ModelSource {
    private final Path path;
    private final int version;
    private final Metadata metadata;
    private final Map<String, Tensor> tensors;
    private final Arena arena;
    private final long dataOffset;

    GgufSource(Path path, int version, Metadata metadata, Map<String, Tensor> tensors, Arena arena, long dataOffset) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.arena = arena;
        this.dataOffset = dataOffset;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return GgufModelFormat.NAME;
    }

    /** GGUF version of the file (2 or 3). */
    public int version() {
        return version;
    }

    /** Byte offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        arena.close();
    }
}
