package org.qwen4j.core;

import java.util.concurrent.atomic.AtomicBoolean;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Generator;
import org.qwen4j.Model;
import org.qwen4j.ModelInfo;
import org.qwen4j.Session;
import org.qwen4j.SessionClosedException;
import org.qwen4j.Tokenizer;
import org.qwen4j.core.chat.ChatMlTemplate;
import org.qwen4j.spi.Backend;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/** A loaded model: the source's mapping, the backend's threads, and what sessions share. */
final class QwenModel implements Model {
    private final ModelSource source;
    private final Backend backend;
    private final LanguageModel languageModel;
    private final Tokenizer tokenizer;
    private final ChatMlTemplate template;
    private final ModelInfo info;
    private final GenerationOptions defaults;
    private final AtomicBoolean closed = new AtomicBoolean();

    QwenModel(ModelSource source, Backend backend, LanguageModel languageModel, Tokenizer tokenizer,
              ChatMlTemplate template, ModelInfo info, GenerationOptions defaults) {
        this.source = source;
        this.backend = backend;
        this.languageModel = languageModel;
        this.tokenizer = tokenizer;
        this.template = template;
        this.info = info;
        this.defaults = defaults;
    }

    void checkOpen() {
        if (closed.get()) throw new SessionClosedException("model " + info.path());
    }

    LanguageModel languageModel() {
        return languageModel;
    }

    ChatMlTemplate template() {
        return template;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public Session newSession() {
        return newSession(defaults);
    }

    @Override
    public Session newSession(GenerationOptions options) {
        checkOpen();
        return new QwenSession(this, info.contextLength(), options);
    }

    @Override
    public Generator generator(GenerationOptions options) {
        checkOpen();
        return new QwenGenerator(this, options);
    }

    @Override
    public GenerationOptions defaultGenerationOptions() {
        return defaults;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            backend.close();
            source.close();
        }
    }
}
