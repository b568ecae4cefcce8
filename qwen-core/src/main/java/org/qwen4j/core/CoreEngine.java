package org.qwen4j.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.qwen4j.GenerationOptions;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.ModelFormatException;
import org.qwen4j.ModelInfo;
import org.qwen4j.ModelOptions;
import org.qwen4j.ProviderNotFoundException;
import org.qwen4j.QwenException;
import org.qwen4j.Tokenizer;
import org.qwen4j.core.chat.ChatMlTemplate;
import org.qwen4j.spi.ArchitectureProvider;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.BackendProvider;
import org.qwen4j.spi.EngineProvider;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelConfig;
import org.qwen4j.spi.ModelFormatProvider;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TokenizerProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles a {@link Model} from the providers on the module path: the format provider that can open
 * the path, the tokenizer its metadata describes, the architecture named by
 * {@code general.architecture}, and the best available backend (or the ones the options name).
 */
public final class CoreEngine implements EngineProvider {
    /** Sessions get this many tokens of context unless the builder asks for another size. */
    public static final int DEFAULT_CONTEXT = 4096;
    private static final Logger log = LoggerFactory.getLogger(CoreEngine.class);

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Model load(ModelOptions options) {
        Path path = options.path();
        if (!Files.exists(path)) throw new QwenException("model not found: " + path.toAbsolutePath());
        ModelSource source = pickFormat(options).open(path);
        Backend backend = null;
        try {
            Tokenizer tokenizer = pickTokenizer(source).create(source);
            backend = pickBackend(options.backend()).create(options.threads());
            LanguageModel lm = pickArchitecture(source).create(source, backend);
            ModelConfig c = lm.config();
            if (tokenizer.vocabularySize() > c.vocabularySize()) {
                throw new ModelFormatException(path, "tokenizer.ggml.tokens", "the tokenizer has "
                        + tokenizer.vocabularySize() + " tokens but the embedding table only " + c.vocabularySize() + " rows");
            }
            int context = options.contextLength() > 0 ? options.contextLength() : Math.min(c.contextLength(), DEFAULT_CONTEXT);
            if (context > c.contextLength()) {
                throw new QwenException("context length " + context + " exceeds the model's maximum of " + c.contextLength());
            }
            var md = source.metadata();
            long sessionBytes = lm.stateBytes(context, options.kvCacheType());
            checkMemory(sessionBytes, context, options);
            ModelInfo info = new ModelInfo(path, md.getString("general.name", path.getFileName().toString()),
                    c.architecture(), dominantType(source), parameters(source), c.layers(), c.hiddenSize(),
                    c.heads(), c.kvHeads(), c.vocabularySize(), c.contextLength(), context, backend.name(),
                    backend.threads(), options.kvCacheType(), sessionBytes);
            log.debug("loaded {}: {} {} on {} with {} threads", path, info.architecture(), info.weightType(),
                    info.backend(), info.threads());
            ChatMlTemplate template = ChatMlTemplate.fromMetadata(md);
            // Qwen3's model cards recommend other sampling for its thinking mode than Qwen2.5's.
            GenerationOptions defaults = generationDefaults(md, template.supportsThinking()
                    ? GenerationOptions.qwen3Thinking() : GenerationOptions.qwenDefaults());
            return new QwenModel(source, backend, lm, tokenizer, template, info, defaults);
        } catch (RuntimeException e) {
            if (backend != null) backend.close();
            source.close();
            throw e;
        }
    }

    @Override
    public Tokenizer loadTokenizer(Path path) {
        if (!Files.exists(path)) throw new QwenException("model not found: " + path.toAbsolutePath());
        try (ModelSource source = pickFormat(new ModelOptions(path, null, null, 0, 0, KvCacheType.F16)).open(path)) {
            return pickTokenizer(source).create(source);
        }
    }

    /** The model's own generation_config.json (exposed as {@code hf.generation.*}) overrides the family defaults. */
    private static GenerationOptions generationDefaults(org.qwen4j.spi.Metadata md, GenerationOptions o) {
        String p = "hf.generation.";
        if (md.has(p + "do_sample") && !md.getBoolean(p + "do_sample", true)) return o.temperature(0);
        if (md.has(p + "temperature")) o = o.temperature(md.getDouble(p + "temperature"));
        if (md.has(p + "top_k")) o = o.topK(md.getInt(p + "top_k", 0, Integer.MAX_VALUE));
        if (md.has(p + "top_p")) o = o.topP(md.getDouble(p + "top_p"));
        if (md.has(p + "min_p")) o = o.minP(md.getDouble(p + "min_p"));
        if (md.has(p + "repetition_penalty")) o = o.repeatPenalty(md.getDouble(p + "repetition_penalty"));
        return o;
    }

    /**
     * Refuses a context whose session memory cannot fit, before any session tries to allocate it. KV
     * caches live in native memory, which the JVM caps at the maximum heap size unless
     * {@code -XX:MaxDirectMemorySize} says otherwise, and which the machine caps at its RAM.
     */
    private static void checkMemory(long sessionBytes, int context, ModelOptions options) {
        long physical = ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        long available = Math.min(physical, Runtime.getRuntime().maxMemory());
        if (sessionBytes > available) {
            throw new QwenException(String.format("a session with a context of %d tokens and a %s KV cache needs"
                    + " %.1f MiB, but at most %.1f MiB are available (the smaller of RAM and the JVM's native"
                    + " memory limit); choose a smaller contextLength or KV cache type, or raise"
                    + " -XX:MaxDirectMemorySize", context, options.kvCacheType(),
                    sessionBytes / 1048576.0, available / 1048576.0));
        }
    }

    private static ModelFormatProvider pickFormat(ModelOptions options) {
        List<ModelFormatProvider> all = ServiceLoader.load(ModelFormatProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(ModelFormatProvider::priority).reversed())
                .toList();
        if (options.format() != null) {
            return all.stream().filter(p -> p.name().equalsIgnoreCase(options.format())).findFirst()
                    .orElseThrow(() -> new ProviderNotFoundException("no model format named '" + options.format()
                            + "'; available: " + names(all.stream().map(ModelFormatProvider::name).toList())));
        }
        return all.stream().filter(p -> p.canOpen(options.path())).findFirst()
                .orElseThrow(() -> new ProviderNotFoundException("no model format provider can open "
                        + options.path() + "; available: " + names(all.stream().map(ModelFormatProvider::name).toList())));
    }

    private static TokenizerProvider pickTokenizer(ModelSource source) {
        return ServiceLoader.load(TokenizerProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.supports(source))
                .max(Comparator.comparingInt(TokenizerProvider::priority))
                .orElseThrow(() -> new ModelFormatException(source.path(), "tokenizer.ggml.model",
                        "no tokenizer provider understands this model's tokenizer"));
    }

    static BackendProvider pickBackend(String name) {
        List<BackendProvider> all = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        if (name != null) {
            BackendProvider p = all.stream().filter(b -> b.name().equalsIgnoreCase(name)).findFirst()
                    .orElseThrow(() -> new ProviderNotFoundException("no backend named '" + name + "'; available: "
                            + names(all.stream().map(BackendProvider::name).toList())));
            if (!p.isAvailable()) throw new ProviderNotFoundException("backend '" + name + "' is not available here");
            return p;
        }
        return all.stream().filter(BackendProvider::isAvailable)
                .max(Comparator.comparingInt(BackendProvider::priority))
                .orElseThrow(() -> new ProviderNotFoundException("no compute backend is available"));
    }

    private static ArchitectureProvider pickArchitecture(ModelSource source) {
        String arch = source.metadata().getString("general.architecture");
        return ServiceLoader.load(ArchitectureProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.supports(arch))
                .findFirst()
                .orElseThrow(() -> new ModelFormatException(source.path(), "general.architecture",
                        "architecture '" + arch + "' is not supported"));
    }

    private static String names(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** The format holding the most bytes, which is what people call the model's type. */
    private static String dominantType(ModelSource source) {
        Map<String, Long> bytes = new HashMap<>();
        for (Tensor t : source.tensors().values()) bytes.merge(t.format().name(), t.data().byteSize(), Long::sum);
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("none");
    }

    private static long parameters(ModelSource source) {
        return source.tensors().values().stream().collect(Collectors.summingLong(Tensor::elements));
    }
}
