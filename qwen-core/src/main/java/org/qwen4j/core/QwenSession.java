package org.qwen4j.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.qwen4j.Completion;
import org.qwen4j.GeneratedToken;
import org.qwen4j.GenerationOptions;
import org.qwen4j.Message;
import org.qwen4j.Reply;
import org.qwen4j.Role;
import org.qwen4j.Session;
import org.qwen4j.SessionClosedException;

/**
 * A conversation. Each turn renders the whole history with the chat template and evaluates only the
 * tokens after the longest prefix already in the KV cache, so earlier turns are not recomputed.
 */
final class QwenSession implements Session {
    private final QwenModel model;
    private final GenerationOptions defaults;
    private final Sequence sequence;
    private final List<Message> history = new ArrayList<>();
    private TokenGeneration active;
    private boolean closed;
    private long turns;

    QwenSession(QwenModel model, int contextLength, GenerationOptions defaults) {
        this.model = model;
        this.defaults = Objects.requireNonNull(defaults, "options");
        this.sequence = new Sequence(model.languageModel(), contextLength, model.info().kvCacheType());
    }

    private void checkOpen() {
        if (closed) throw new SessionClosedException("session");
        model.checkOpen();
    }

    @Override
    public Session system(String text) {
        checkOpen();
        Objects.requireNonNull(text, "text");
        if (!history.isEmpty()) {
            throw new IllegalStateException("the system prompt must come before the first turn; use reset() first");
        }
        history.add(Message.system(text));
        return this;
    }

    @Override
    public Reply ask(String userText) {
        return ask(userText, defaults);
    }

    @Override
    public Reply ask(String userText, GenerationOptions options) {
        checkOpen();
        Objects.requireNonNull(userText, "userText");
        Objects.requireNonNull(options, "options");
        finishActive();
        List<Message> next = new ArrayList<>(history);
        next.add(Message.user(userText));
        String rendered = model.template().render(next, true, options.enableThinking());
        int[] prompt = model.tokenizer().encode(rendered, true);
        long seed = options.seed().isPresent() ? options.seed().getAsLong() + turns : System.nanoTime();
        // Built before the history changes: an overflowing prompt throws here and leaves the session as it was.
        TokenGeneration generation = new TokenGeneration(sequence, model.tokenizer(), prompt, options, seed,
                this::recordAnswer);
        history.add(Message.user(userText));
        turns++;
        active = generation;
        return new SessionReply(generation);
    }

    private void recordAnswer(Completion c) {
        history.add(Message.assistant(c.text()));
        active = null;
    }

    /** A reply left half-consumed ends where it is, so the history stays a valid conversation. */
    private void finishActive() {
        if (active != null) active.cancel();
    }

    @Override
    public List<Message> history() {
        return Collections.unmodifiableList(new ArrayList<>(history));
    }

    @Override
    public float[] evaluate(int[] ids) {
        checkOpen();
        finishActive();
        if (ids.length == 0) return new float[0];
        return sequence.evaluateAll(ids);
    }

    @Override
    public float[] append(int[] ids) {
        checkOpen();
        finishActive();
        if (ids.length == 0) throw new IllegalArgumentException("no ids to append");
        return sequence.evaluate(ids, 0, ids.length).clone();
    }

    @Override
    public void append(int[] ids, float[] logits) {
        checkOpen();
        int vocabulary = sequence.vocabularySize();
        if (logits.length < vocabulary) {
            throw new IllegalArgumentException("logits holds " + logits.length + " floats, the vocabulary has "
                    + vocabulary);
        }
        finishActive();
        if (ids.length == 0) throw new IllegalArgumentException("no ids to append");
        System.arraycopy(sequence.evaluate(ids, 0, ids.length), 0, logits, 0, vocabulary);
    }

    @Override
    public int position() {
        return sequence.length();
    }

    @Override
    public int contextLength() {
        return sequence.capacity();
    }

    @Override
    public void rewind(int position) {
        checkOpen();
        if (position < 0 || position > sequence.length()) {
            throw new IllegalArgumentException("cannot rewind to " + position + ": the session holds "
                    + sequence.length() + " tokens");
        }
        finishActive();
        sequence.rewind(position);
    }

    @Override
    public void reset() {
        checkOpen();
        finishActive();
        history.clear();
        sequence.rewind(0);
    }

    @Override
    public void close() {
        if (!closed) {
            finishActive();
            closed = true;
            sequence.close();
        }
    }

    /** The lazily generated answer of one turn. */
    private final class SessionReply implements Reply {
        private final TokenGeneration generation;

        SessionReply(TokenGeneration generation) {
            this.generation = generation;
        }

        @Override
        public Completion completion() {
            return completion(null);
        }

        @Override
        public Completion completion(Consumer<GeneratedToken> onToken) {
            if (closed) throw new SessionClosedException("session");
            return generation.drain(onToken);
        }

        @Override
        public Stream<GeneratedToken> stream() {
            if (closed) throw new SessionClosedException("session");
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(generation,
                    Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(generation::cancel);
        }
    }
}
