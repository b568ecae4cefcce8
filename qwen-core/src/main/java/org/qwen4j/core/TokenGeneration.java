package org.qwen4j.core;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.qwen4j.Completion;
import org.qwen4j.ContextOverflowException;
import org.qwen4j.FinishReason;
import org.qwen4j.GeneratedToken;
import org.qwen4j.GenerationOptions;
import org.qwen4j.TextDecoder;
import org.qwen4j.Tokenizer;
import org.qwen4j.core.sampling.Sampler;

/**
 * The decode loop, pulled one token at a time: the first {@link #next()} evaluates the part of the
 * prompt that is not already cached, each later one evaluates the previous token and samples the
 * next. Stops at an end-of-generation token (unless ignored), a stop string, {@code maxTokens} or a
 * full context; then hands the {@link Completion} to {@code onFinish}.
 */
final class TokenGeneration implements Iterator<GeneratedToken> {
    private final Sequence sequence;
    private final Tokenizer tokenizer;
    private final GenerationOptions options;
    private final Sampler sampler;
    private final int[] prompt;
    private final Consumer<Completion> onFinish;
    private final TextDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder thinking = new StringBuilder();
    private final int thinkStart;
    private final int thinkEnd;
    private boolean inThinking;
    /** Right after {@code </think>}: the newlines the model writes before its answer are dropped. */
    private boolean answerStarted = true;
    private final int[] single = new int[1];
    private int[] generated = new int[64];
    private int count;
    private final int longestStop;
    private final long startNanos = System.nanoTime();
    private long firstTokenNanos;
    private int promptTokensEvaluated;
    private float[] logits;
    private int lastToken = -1;
    private GeneratedToken ready;
    private FinishReason finish;
    private Completion completion;

    TokenGeneration(Sequence sequence, Tokenizer tokenizer, int[] prompt, GenerationOptions options, long seed,
                    Consumer<Completion> onFinish) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: there is nothing to continue");
        if (prompt.length > sequence.capacity()) {
            throw new ContextOverflowException(0, prompt.length, sequence.capacity());
        }
        this.sequence = sequence;
        this.tokenizer = tokenizer;
        this.options = options;
        this.prompt = prompt;
        this.onFinish = onFinish;
        this.sampler = Sampler.of(options, seed);
        this.decoder = tokenizer.newDecoder();
        this.longestStop = options.stopStrings().stream().mapToInt(String::length).max().orElse(0);
        this.thinkStart = tokenizer.idOf("<think>");
        this.thinkEnd = tokenizer.idOf("</think>");
        // A template may open the thinking block itself (the prompt ends inside it).
        for (int i = prompt.length - 1; i >= 0 && thinkStart >= 0; i--) {
            if (prompt[i] == thinkEnd) break;
            if (prompt[i] == thinkStart) {
                inThinking = true;
                break;
            }
        }
    }

    @Override
    public boolean hasNext() {
        if (ready == null && finish == null) advance();
        return ready != null;
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) throw new NoSuchElementException("generation has finished: " + finish);
        GeneratedToken t = ready;
        ready = null;
        return t;
    }

    /** Runs to the end and returns the result. */
    Completion drain(Consumer<GeneratedToken> onToken) {
        while (hasNext()) {
            GeneratedToken t = next();
            if (onToken != null) onToken.accept(t);
        }
        return completion;
    }

    /** Ends generation early (the consumer went away); the completion keeps what was generated. */
    void cancel() {
        if (finish == null) {
            ready = null;
            end(FinishReason.CANCELLED);
        }
    }

    Completion completion() {
        return completion;
    }

    private void advance() {
        if (logits == null) {
            int reuse = sequence.commonPrefix(prompt);
            if (reuse == prompt.length) reuse--; // the last prompt token is re-evaluated for its logits
            sequence.rewind(reuse);
            for (int id : prompt) sampler.accept(id);
            logits = sequence.evaluate(prompt, reuse, prompt.length);
            promptTokensEvaluated = prompt.length - reuse;
        } else {
            if (sequence.length() >= sequence.capacity()) {
                end(FinishReason.CONTEXT_FULL);
                return;
            }
            single[0] = lastToken;
            logits = sequence.evaluate(single, 0, 1);
        }
        if (count >= options.maxTokens()) {
            end(FinishReason.MAX_TOKENS);
            return;
        }
        int id = sampler.sample(logits, sequence.vocabularySize());
        if (firstTokenNanos == 0) firstTokenNanos = System.nanoTime();
        sampler.accept(id);
        if (tokenizer.isEndOfGeneration(id) && !options.ignoreEos()) {
            end(FinishReason.END_OF_GENERATION);
            return;
        }
        lastToken = id;
        if (count == generated.length) generated = Arrays.copyOf(generated, count * 2);
        generated[count++] = id;
        if (thinkStart >= 0 && (id == thinkStart || id == thinkEnd)) {
            // the markers separate reasoning from answer; their own text belongs to neither
            ready = new GeneratedToken(count - 1, id, "", true);
            thinking.append(decoder.flush());
            inThinking = id == thinkStart;
            answerStarted = inThinking;
            if (count >= options.maxTokens()) end(FinishReason.MAX_TOKENS);
            return;
        }
        if (inThinking) {
            String piece = decoder.append(id);
            thinking.append(piece);
            ready = new GeneratedToken(count - 1, id, piece, true);
            if (count >= options.maxTokens()) end(FinishReason.MAX_TOKENS);
            return;
        }
        int before = text.length();
        String decoded = decoder.append(id);
        if (!answerStarted) {
            int i = 0;
            while (i < decoded.length() && decoded.charAt(i) == '\n') i++;
            decoded = decoded.substring(i);
            answerStarted = !decoded.isEmpty();
        }
        text.append(decoded);
        int stopAt = findStop(before);
        if (stopAt >= 0) {
            String piece = stopAt > before ? text.substring(before, stopAt) : "";
            text.setLength(Math.min(text.length(), stopAt));
            ready = new GeneratedToken(count - 1, id, piece, false);
            end(FinishReason.STOP_STRING);
            return;
        }
        ready = new GeneratedToken(count - 1, id, text.substring(before), false);
        if (count >= options.maxTokens()) end(FinishReason.MAX_TOKENS);
    }

    /** Earliest index of a stop string that ends in the text added since {@code before}, or -1. */
    private int findStop(int before) {
        if (longestStop == 0) return -1;
        int from = Math.max(0, before - longestStop + 1);
        int best = -1;
        for (String s : options.stopStrings()) {
            int i = text.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    private void end(FinishReason reason) {
        finish = reason;
        if (reason != FinishReason.STOP_STRING) (inThinking ? thinking : text).append(decoder.flush());
        long now = System.nanoTime();
        int[] ids = Arrays.copyOf(generated, count);
        completion = new Completion(text.toString(), thinking.toString().strip(), prompt.clone(), ids, reason,
                new org.qwen4j.Usage(promptTokensEvaluated, ids.length,
                        firstTokenNanos == 0 ? now - startNanos : firstTokenNanos - startNanos, now - startNanos));
        if (onFinish != null) onFinish.accept(completion);
    }
}
