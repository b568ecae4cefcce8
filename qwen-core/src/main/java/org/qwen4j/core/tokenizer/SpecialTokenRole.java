package org.qwen4j.core.tokenizer;

import java.util.List;

/**
 * The jobs a token can have beyond being text, each with the GGUF key that may name its id. Where
 * the key is absent, llama.cpp finds some of them by their text (the {@link #detectedBy()} list);
 * qwen4j does the same, because Qwen GGUF files name only BOS, EOS and padding.
 */
public enum SpecialTokenRole {
    BOS("tokenizer.ggml.bos_token_id", null, List.of()),
    EOS("tokenizer.ggml.eos_token_id", null, List.of()),
    /** End of turn. */
    EOT("tokenizer.ggml.eot_token_id", null, List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>")),
    /** End of message (a tool call that expects a reply). */
    EOM("tokenizer.ggml.eom_token_id", null, List.of("<|eom_id|>")),
    PADDING("tokenizer.ggml.padding_token_id", null, List.of()),
    FIM_PREFIX("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id", List.of(
            "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
            "<|code_prefix|>", "<|prefix|>")),
    FIM_SUFFIX("tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id", List.of(
            "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
            "<|code_suffix|>", "<|suffix|>")),
    FIM_MIDDLE("tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id", List.of(
            "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
            "<|code_middle|>", "<|middle|>")),
    FIM_PAD("tokenizer.ggml.fim_pad_token_id", null, List.of(
            "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]")),
    FIM_REPO("tokenizer.ggml.fim_rep_token_id", null, List.of(
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>")),
    FIM_SEPARATOR("tokenizer.ggml.fim_sep_token_id", null, List.of("<|file_sep|>"));

    private final String metadataKey;
    private final String deprecatedKey;
    private final List<String> detectedBy;

    SpecialTokenRole(String metadataKey, String deprecatedKey, List<String> detectedBy) {
        this.metadataKey = metadataKey;
        this.deprecatedKey = deprecatedKey;
        this.detectedBy = detectedBy;
    }

    /** The GGUF key holding this role's token id. */
    public String metadataKey() {
        return metadataKey;
    }

    /**
     * An older key for the same id, or null; llama.cpp reads it after {@link #metadataKey()}, so
     * where both are present the older one wins.
     */
    public String deprecatedKey() {
        return deprecatedKey;
    }

    /** Token texts that give a token this role when the file names none (empty: never guessed). */
    public List<String> detectedBy() {
        return detectedBy;
    }
}
