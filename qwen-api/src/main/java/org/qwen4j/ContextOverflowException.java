package org.qwen4j;

/** The tokens to evaluate do not fit into the session's context window. Nothing was evaluated. */
public class ContextOverflowException extends QwenException {
    private final int used;
    private final int requested;
    private final int contextLength;

    public ContextOverflowException(int used, int requested, int contextLength) {
        super("context overflow: " + used + " tokens already in context + " + requested
                + " new tokens > context length " + contextLength
                + "; start a new session, shorten the prompt, or build the model with a larger contextLength");
        this.used = used;
        this.requested = requested;
        this.contextLength = contextLength;
    }

    public int used() {
        return used;
    }

    public int requested() {
        return requested;
    }

    public int contextLength() {
        return contextLength;
    }
}
