package org.qwen4j.spi;

import org.qwen4j.Model;
import org.qwen4j.ModelOptions;

/** Assembles a {@link Model} from the other providers. The one with the highest priority wins. */
public interface EngineProvider {
    int priority();

    Model load(ModelOptions options);
}
