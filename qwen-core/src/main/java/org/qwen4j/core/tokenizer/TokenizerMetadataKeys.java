package org.qwen4j.core.tokenizer;

/** The GGUF metadata keys a byte-level BPE tokenizer is read from (the special-token ids are in {@link SpecialTokenRole}). */
public final class TokenizerMetadataKeys {
    /** The tokenizer family; {@code gpt2} for byte-level BPE. */
    public static final String MODEL = "tokenizer.ggml.model";
    /** The pre-tokenizer name: {@code qwen2}, {@code qwen35} … */
    public static final String PRE = "tokenizer.ggml.pre";
    /** The vocabulary, one string per id. */
    public static final String TOKENS = "tokenizer.ggml.tokens";
    /** The kind of each token (see {@link TokenType}). */
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    /** The merges, {@code "left right"}, in priority order. */
    public static final String MERGES = "tokenizer.ggml.merges";
    /** Whether a prompt should start with the BOS token. */
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";

    /** The value of {@link #MODEL} for byte-level BPE. */
    public static final String BYTE_LEVEL_BPE_MODEL = "gpt2";

    private TokenizerMetadataKeys() {
    }
}
