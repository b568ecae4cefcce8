package org.qwen4j;

import java.nio.file.Path;

/**
 * A loaded language model: memory-mapped weights, tokenizer and compute backend. Immutable and
 * thread-safe; any number of {@link Session}s and {@link Generator}s share its weights.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("qwen2.5-0.5b-instruct-q8_0.gguf"));
 *      Session chat = model.newSession()) {
 *     chat.system("Answer in one sentence.");
 *     System.out.println(chat.ask("What is GQA?").text());
 * }
 * }</pre>
 */
public interface Model extends AutoCloseable {

    /** Loads a model with default options: the best backend and format provider found, all cores. */
    static Model load(Path path) {
        return builder(path).build();
    }

    /** Starts a builder for options such as the backend, the thread count and the context length. */
    static ModelBuilder builder(Path path) {
        return new ModelBuilder(path);
    }

    /** What was loaded: architecture, shape, formats and the backend that runs it. */
    ModelInfo info();

    /** The model's tokenizer. */
    Tokenizer tokenizer();

    /** A new conversation with its own KV cache, using the model's default generation options. */
    Session newSession();

    /** A new conversation whose turns use {@code options} unless a call says otherwise. */
    Session newSession(GenerationOptions options);

    /** A one-shot completion engine; each call starts from an empty context. */
    Generator generator(GenerationOptions options);

    /** The generation options the model's files recommend (or qwen4j's defaults). */
    GenerationOptions defaultGenerationOptions();

    /** Releases the weights' mapping and the worker threads. Sessions still open become unusable. */
    @Override
    void close();
}
