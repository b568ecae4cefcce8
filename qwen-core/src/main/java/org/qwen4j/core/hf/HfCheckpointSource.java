package org.qwen4j.core.hf;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * An opened Hugging Face checkpoint folder: metadata and tensors under GGUF's names, the tensors
 * being views of the memory-mapped safetensors files. One arena holds every mapping; {@link #close()}
 * unmaps them all, after which the tensors must not be read.
 */
public final class HfCheckpointSource implements ModelSource {
    private final Path folder;
    private final Metadata metadata;
    private final Map<String, Tensor> tensors;
    private final Arena arena;

    HfCheckpointSource(Path folder, Metadata metadata, Map<String, Tensor> tensors, Arena arena) {
        this.folder = folder;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.arena = arena;
    }

    /** The checkpoint folder. */
    @Override
    public Path path() {
        return folder;
    }

    @Override
    public String formatName() {
        return HfCheckpointFormat.NAME;
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
