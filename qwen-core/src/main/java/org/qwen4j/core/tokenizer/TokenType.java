package org.qwen4j.core.tokenizer;

/**
 * The kind of a vocabulary entry, as GGUF's {@code tokenizer.ggml.token_type} array numbers it
 * (llama.cpp's {@code llama_token_type}). The kind decides whether a token can be written as text
 * in a prompt and how it is rendered back.
 */
public enum TokenType {
    /** 0: declared but of no known kind; never matched as text and rendered as nothing. */
    UNDEFINED,
    /** 1: an ordinary byte-level BPE piece, spelled in the GPT-2 byte alphabet. */
    NORMAL,
    /** 2: the unknown-token marker; treated like a control token. */
    UNKNOWN,
    /** 3: a control token such as {@code <|im_start|>}: matched in text only when special tokens are parsed. */
    CONTROL,
    /** 4: an added token such as {@code <tool_call>}: matched in text always, stored as plain text. */
    USER_DEFINED,
    /** 5: a reserved slot; never matched and rendered as nothing. */
    UNUSED,
    /** 6: a single raw byte written {@code <0xXX>} (SentencePiece style; Qwen files have none). */
    BYTE;

    private static final TokenType[] BY_CODE = values();

    /** The GGUF code of this kind. */
    public int code() {
        return ordinal();
    }

    /** The kind for a GGUF code, or null when the code is not one of 0 to 6. */
    public static TokenType ofCode(long code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[(int) code] : null;
    }

    /** Whether llama.cpp lists tokens of this kind among those it searches for in prompt text. */
    boolean isMatchedInText() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    /** Whether the token is hidden from text unless special tokens are asked for (llama.cpp's attr_special). */
    boolean isSpecial() {
        return this == CONTROL || this == UNKNOWN;
    }
}
