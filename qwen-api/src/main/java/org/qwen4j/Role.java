package org.qwen4j;

/** Who speaks in a chat turn. */
public enum Role {
    SYSTEM("system"), USER("user"), ASSISTANT("assistant");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    /** The name chat templates use for the role. */
    public String label() {
        return label;
    }
}
