package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.util.Map;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/** A model source with metadata and no tensors, for handing hand-built metadata to a provider. */
record MetadataOnlySource(Path path, Metadata metadata) implements ModelSource {
    @Override
    public String formatName() {
        return "test";
    }

    @Override
    public Map<String, Tensor> tensors() {
        return Map.of();
    }

    @Override
    public void close() {
        // nothing is mapped
    }
}
