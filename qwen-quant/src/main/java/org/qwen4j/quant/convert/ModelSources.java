package org.qwen4j.quant.convert;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.qwen4j.ProviderNotFoundException;
import org.qwen4j.QwenException;
import org.qwen4j.spi.ModelFormatProvider;
import org.qwen4j.spi.ModelSource;

/**
 * Opens a model path with whichever {@link ModelFormatProvider} on the module path claims it, the
 * highest priority first, as the engine does: a GGUF file, or a Hugging Face checkpoint folder when
 * its provider is installed.
 */
public final class ModelSources {
    private ModelSources() {
    }

    /**
     * @throws QwenException             when the path does not exist
     * @throws ProviderNotFoundException when no provider can open it
     */
    public static ModelSource open(Path path) {
        if (!Files.exists(path)) throw new QwenException("model not found: " + path.toAbsolutePath());
        List<ModelFormatProvider> providers = ServiceLoader.load(ModelFormatProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(ModelFormatProvider::priority).reversed())
                .toList();
        return providers.stream().filter(p -> p.canOpen(path)).findFirst()
                .orElseThrow(() -> new ProviderNotFoundException("no model format provider can open " + path
                        + "; installed: " + providers.stream().map(ModelFormatProvider::name).toList()))
                .open(path);
    }
}
