package org.qwen4j.spi;

import java.nio.file.Path;

/** Opens model files of one layout (GGUF, safetensors folders …) into tensors and metadata. */
public interface ModelFormatProvider {
    /** Short name users may pass to the builder, e.g. {@code gguf}. */
    String name();

    /** Higher wins when several providers can open the same path. */
    default int priority() {
        return 0;
    }

    /** A cheap probe (extension, magic bytes); must not throw for files of other formats. */
    boolean canOpen(Path path);

    /**
     * Opens the path. Tensor data must stay memory-mapped: views, not copies.
     *
     * @throws org.qwen4j.ModelFormatException when the file is malformed
     */
    ModelSource open(Path path);
}
