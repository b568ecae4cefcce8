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

    /**
     * {@link #append(int[])} writing the logits after the last id into {@code logits[0,
     * vocabularySize)} instead of a new array, so that a loop feeding one token at a time (a
     * sampler of one's own, a benchmark) allocates nothing per token.
     * <pre>{@code
     * float[] logits = new float[model.info().vocabularySize()];
     * session.append(prompt, logits);
     * for (int i = 0; i < 16; i++) session.append(new int[] {argmax(logits)}, logits);
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code logits} is shorter than the vocabulary; the session
     *     is then unchanged
     * @throws ContextOverflowException if the ids do not fit; the session is then unchanged
     */
    void append(int[] ids, float[] logits);

    /** Tokens in the context. */
    int position();

    /** Capacity of the context in tokens. */
    int contextLength();

    /**
     * Drops the cached tokens after the first {@code position}, which stay evaluated: a shared
     * prefix is computed once and each continuation starts from it.
     * <pre>{@code
     * session.append(document);
     * int mark = session.position();
     * float[] a = session.append(questionA);
     * session.rewind(mark);
     * float[] b = session.append(questionB); // the document is not evaluated again
     * }</pre>
     * The conversation history is kept: the next {@link #ask} evaluates whatever its prompt needs
     * past the tokens still cached.
     *
     * @throws IllegalArgumentException if {@code position} is negative or past {@link #position()}
     */
    void rewind(int position);

    /** Forgets the conversation and empties the cache. */
    void reset();

    @Override
    void close();
}
