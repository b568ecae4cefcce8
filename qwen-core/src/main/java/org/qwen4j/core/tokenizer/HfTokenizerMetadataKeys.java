package org.qwen4j.core.tokenizer;

/**
 * Metadata keys, beyond GGUF's {@code tokenizer.ggml.*} ones, that carry what a Hugging Face
 * {@code tokenizer.json} says and a GGUF file cannot: the Unicode normalization and the matching
 * options of added tokens. A model source whose tokenizer came from a {@code tokenizer.json} has
 * {@link #NORMALIZER}; {@link TokenizerJsonProvider} builds its tokenizer.
 */
public final class HfTokenizerMetadataKeys {
    /**
     * The normalizer applied to text outside added tokens before it is split into words: {@code NFC},
     * {@code NFD}, {@code NFKC}, {@code NFKD} or {@link #NO_NORMALIZER}. Qwen's tokenizers use NFC.
     */
    public static final String NORMALIZER = "tokenizer.hf.normalizer";
    /** Ids of added tokens that swallow the whitespace before them ({@code "lstrip": true}). */
    public static final String LSTRIP_IDS = "tokenizer.hf.lstrip_token_ids";
    /** Ids of added tokens that swallow the whitespace after them ({@code "rstrip": true}). */
    public static final String RSTRIP_IDS = "tokenizer.hf.rstrip_token_ids";
    /** Ids of added tokens matched only as whole words ({@code "single_word": true}). */
    public static final String SINGLE_WORD_IDS = "tokenizer.hf.single_word_token_ids";
    /** Ids of added tokens matched in normalized text rather than in the raw text ({@code "normalized": true}). */
    public static final String NORMALIZED_IDS = "tokenizer.hf.normalized_token_ids";
    /**
     * Every id that ends a generation according to {@code generation_config.json}, in its order; the
     * tokenizer counts them as end-of-generation tokens besides the ones llama.cpp's rules find.
     */
    public static final String GENERATION_EOS_IDS = "hf.generation.eos_token_ids";

    /** The value of {@link #NORMALIZER} for a tokenizer.json without a normalizer. */
    public static final String NO_NORMALIZER = "none";

    private HfTokenizerMetadataKeys() {
    }
}
