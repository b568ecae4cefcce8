package org.qwen4j.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.qwen4j.ModelFormatException;

/**
 * An opened model file: metadata under GGUF's key names ({@code general.architecture},
 * {@code qwen2.block_count} …) and tensors under GGUF's tensor names ({@code blk.0.attn_q.weight} …),
 * whatever the file's own layout. Closing it unmaps the tensors.
 */
public interface ModelSource extends AutoCloseable {
    Path path();

    /** The provider's name, e.g. {@code gguf}. */
    String formatName();

    Metadata metadata();

    /** All tensors by name, in file order. */
    Map<String, Tensor> tensors();

    default Optional<Tensor> findTensor(String name) {
        return Optional.ofNullable(tensors().get(name));
    }

    /** The tensor, or a {@link ModelFormatException} naming it. */
    default Tensor tensor(String name) {
        Tensor t = tensors().get(name);
        if (t == null) throw new ModelFormatException(path(), name, "required tensor is missing");
        return t;
    }

    @Override
    void close();
}
