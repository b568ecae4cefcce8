package org.qwen4j.spi;

import java.nio.file.Path;
import org.qwen4j.Model;
import org.qwen4j.ModelOptions;
import org.qwen4j.Tokenizer;

/** Assembles a {@link Model} from the other providers. The one with the highest priority wins. */
public interface EngineProvider {
    int priority();

    Model load(ModelOptions options);

    /** Reads only the tokenizer of a model file or a vocabulary-only file; no weights are used. */
    Tokenizer loadTokenizer(Path path);
}
