package org.qwen4j;

/** A {@link Session} (or the {@link Model} behind it) was used after {@code close()}. */
public class SessionClosedException extends QwenException {
    public SessionClosedException(String what) {
        super(what + " is closed; create a new one");
    }
}
