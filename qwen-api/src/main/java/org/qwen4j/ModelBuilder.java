package org.qwen4j;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;
import java.util.ServiceLoader;
import org.qwen4j.spi.EngineProvider;

/**
 * Options for loading a {@link Model}. Every option has a sensible default.
 *
 * <pre>{@code
 * Model model = Model.builder(Path.of("model.gguf"))
 *         .backend("cpu-simd")
 *         .threads(4)
 *         .contextLength(4096)
 *         .build();
 * }</pre>
 */
public final class ModelBuilder {
    private final Path path;
    private String backend;
    private String format;
    private int threads;
    private int contextLength;
    private KvCacheType kvCacheType = KvCacheType.F16;

    ModelBuilder(Path path) {
        this.path = Objects.requireNonNull(path, "path");
    }

    /** Picks a backend by name ({@code cpu-simd}, {@code cpu-reference}); default: the best available. */
    public ModelBuilder backend(String name) {
        this.backend = name;
        return this;
    }

    /** Picks a model-format provider by name ({@code gguf}); default: the first that can open the path. */
    public ModelBuilder format(String name) {
        this.format = name;
        return this;
    }

    /** Worker threads for the compute backend; 0 (the default) means one per available core. */
    public ModelBuilder threads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        this.threads = threads;
        return this;
    }

    /**
     * Context window in tokens for each session, up to the model's trained maximum; 0 (the default)
     * means that maximum or 4096, whichever is smaller. The KV cache for it is allocated per session:
     * {@link ModelInfo#sessionBytes()} says how much.
     */
    public ModelBuilder contextLength(int tokens) {
        if (tokens < 0) throw new IllegalArgumentException("contextLength must be >= 0, got " + tokens);
        this.contextLength = tokens;
        return this;
    }

    /** Precision of the sessions' KV caches; default {@link KvCacheType#F16}. */
    public ModelBuilder kvCacheType(KvCacheType type) {
        this.kvCacheType = java.util.Objects.requireNonNull(type, "type");
        return this;
    }

    /** The options collected so far. */
    public ModelOptions options() {
        return new ModelOptions(path, backend, format, threads, contextLength, kvCacheType);
    }

    /** Loads the model with the highest-priority {@link EngineProvider} on the module or class path. */
    public Model build() {
        return engine().load(options());
    }

    static EngineProvider engine() {
        return ServiceLoader.load(EngineProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .max(Comparator.comparingInt(EngineProvider::priority))
                .orElseThrow(() -> new ProviderNotFoundException(
                        "no qwen4j engine found; add the qwen-core module to the module or class path"));
    }
}
