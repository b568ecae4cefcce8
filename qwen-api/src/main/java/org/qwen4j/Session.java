package org.qwen4j;

import java.util.List;

/**
 * One conversation with its own KV cache. Turns reuse the cache: only the new tokens of a turn are
 * evaluated. A session is for one thread at a time; use one session per conversation.
 *
 * <pre>{@code
 * try (Session chat = model.newSession()) {
 *     chat.system("You are a terse assistant.");
 *     String a = chat.ask("What is GQA?").text();
 *     chat.ask("And RoPE?").stream().forEach(t -> System.out.print(t.text()));
 * }
 * }</pre>
 */
public interface Session extends AutoCloseable {

    /** Sets the system prompt; only allowed before the first turn. */
    Session system(String text);

    /** Adds a user turn and returns the assistant's reply (generated when the reply is consumed). */
    Reply ask(String userText);

    /** Like {@link #ask(String)} with options for this turn only. */
    Reply ask(String userText, GenerationOptions options);

    /** The conversation so far. */
    List<Message> history();

    /**
     * Appends raw token ids to the context and returns the logits after each of them,
     * {@code [ids.length][vocabularySize]} flattened row by row. The ids are evaluated as one batch.
     *
     * @throws ContextOverflowException if they do not fit; the session is then unchanged
     */
    float[] evaluate(int[] ids);

    /**
     * Appends raw token ids to the context as one batch and returns only the logits after the last
     * one ({@code [vocabularySize]}): what a prompt prefill or a decode step needs.
     *
     * @throws ContextOverflowException if they do not fit; the session is then unchanged
     */
    float[] append(int[] ids);

    /** Tokens in the context. */
    int position();

    /** Capacity of the context in tokens. */
    int contextLength();

    /** Forgets the conversation and empties the cache. */
    void reset();

    @Override
    void close();
}
