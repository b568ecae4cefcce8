package org.qwen4j;

import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The assistant's answer to one {@link Session#ask} turn. Nothing is generated until one of the
 * methods is called; consume a reply once, either as a whole or as a stream.
 *
 * <pre>{@code
 * chat.ask("Tell me a joke").stream().forEach(t -> System.out.print(t.text()));
 * }</pre>
 */
public interface Reply {

    /** Generates the whole answer and returns its text. */
    default String text() {
        return completion().text();
    }

    /** Generates the whole answer. */
    Completion completion();

    /** Generates the whole answer, handing each token to {@code onToken} as it comes. */
    Completion completion(Consumer<GeneratedToken> onToken);

    /** Streams the answer token by token; closing the stream early ends the turn there. */
    Stream<GeneratedToken> stream();
}
