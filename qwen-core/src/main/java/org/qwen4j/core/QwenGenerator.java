package org.qwen4j.core;

import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.qwen4j.Completion;
import org.qwen4j.GeneratedToken;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Generator;

/** Stateless completions: each call gets a fresh sequence sized for its prompt plus {@code maxTokens}. */
final class QwenGenerator implements Generator {
    private final QwenModel model;
    private final GenerationOptions options;

    QwenGenerator(QwenModel model, GenerationOptions options) {
        this.model = model;
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public GenerationOptions options() {
        return options;
    }

    @Override
    public Completion complete(String prompt) {
        return complete(prompt, null);
    }

    @Override
    public Completion complete(int[] promptIds) {
        TokenGeneration g = start(promptIds.clone());
        try {
            return g.drain(null);
        } finally {
            g.cancel();
        }
    }

    @Override
    public Completion complete(String prompt, Consumer<GeneratedToken> onToken) {
        TokenGeneration g = start(model.tokenizer().encode(prompt, true));
        try {
            return g.drain(onToken);
        } finally {
            g.cancel();
        }
    }

    @Override
    public Stream<GeneratedToken> stream(String prompt) {
        TokenGeneration g = start(model.tokenizer().encode(prompt, true));
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(g, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(g::cancel);
    }

    private TokenGeneration start(int[] prompt) {
        model.checkOpen();
        int maxContext = model.info().contextLength();
        int needed = (int) Math.min(maxContext, (long) prompt.length + options.maxTokens());
        Sequence sequence = new Sequence(model.languageModel(), Math.max(1, needed), model.info().kvCacheType());
        long seed = options.seed().orElseGet(System::nanoTime);
        return new TokenGeneration(sequence, model.tokenizer(), prompt, options, seed, c -> sequence.close());
    }
}
