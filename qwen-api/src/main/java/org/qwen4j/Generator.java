package org.qwen4j;

import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One-shot completion: each call starts from an empty context, so calls are independent and a
 * generator may be shared between threads.
 *
 * <pre>{@code
 * Generator g = model.generator(GenerationOptions.greedy().maxTokens(64));
 * Completion c = g.complete("def fib(n):");
 * g.stream("Once upon a time").forEach(t -> System.out.print(t.text()));
 * }</pre>
 */
public interface Generator {

    /** Completes raw text; special-token text such as {@code <|im_start|>} in the prompt is parsed. */
    Completion complete(String prompt);

    /** Completes a tokenized prompt. */
    Completion complete(int[] promptIds);

    /** Completes raw text and hands each token to {@code onToken} as soon as it is sampled. */
    Completion complete(String prompt, Consumer<GeneratedToken> onToken);

    /** Streams tokens lazily; closing the stream early stops generation. */
    Stream<GeneratedToken> stream(String prompt);

    /** The options every call uses. */
    GenerationOptions options();
}
