package org.qwen4j.spi;

import org.qwen4j.Tokenizer;

/** Builds a {@link Tokenizer} from what a model file holds. */
public interface TokenizerProvider {
    String name();

    default int priority() {
        return 0;
    }

    /** True when the source carries a tokenizer this provider understands. */
    boolean supports(ModelSource source);

    /** @throws org.qwen4j.ModelFormatException when the tokenizer data is malformed */
    Tokenizer create(ModelSource source);
}
