package org.qwen4j.core.gguf;

import java.nio.file.Path;
import org.qwen4j.spi.ModelFormatProvider;
import org.qwen4j.spi.ModelSource;

/** The GGUF model-format provider: single {@code .gguf} files, memory-mapped. */
public final class GgufModelFormat implements ModelFormatProvider {
    static final String NAME = "gguf";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean canOpen(Path path) {
        return GgufReader.hasMagic(path);
    }

    @Override
    public ModelSource open(Path path) {
        return GgufReader.open(path);
    }
}
