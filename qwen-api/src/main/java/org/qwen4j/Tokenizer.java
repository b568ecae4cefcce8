package org.qwen4j;

/**
 * Text to token ids and back.
 *
 * <pre>{@code
 * Tokenizer tok = model.tokenizer();
 * int[] ids = tok.encode("<|im_start|>user\nHi<|im_end|>", true);
 * String text = tok.decode(ids);
 * }</pre>
 */
public interface Tokenizer {

    /**
     * Loads only the tokenizer of a model file, or of a vocabulary-only GGUF such as llama.cpp's
     * {@code ggml-vocab-qwen2.gguf}, without the weights:
     * {@code int n = Tokenizer.load(path).encode(text).length;}
     */
    static Tokenizer load(java.nio.file.Path path) {
        return ModelBuilder.engine().loadTokenizer(path);
    }

    /** Encodes plain text; special-token text is treated as ordinary characters. */
    default int[] encode(String text) {
        return encode(text, false);
    }

    /** Encodes text; with {@code parseSpecial}, control and added tokens written in the text become their ids. */
    int[] encode(String text, boolean parseSpecial);

    /** Decodes ids to text; control tokens appear as their text (e.g. {@code <|im_end|>}). */
    String decode(int[] ids);

    /** A decoder for streaming that never splits a UTF-8 character. */
    TextDecoder newDecoder();

    /** Tokens in the vocabulary. */
    int vocabularySize();

    /** The vocabulary entry of {@code id} as stored (byte-level BPE pieces use the GPT-2 byte alphabet). */
    String piece(int id);

    /** The id of a vocabulary entry, or -1. */
    int idOf(String piece);

    /** True for control tokens and special added tokens. */
    boolean isSpecial(int id);

    /** True for tokens that end a generation, such as {@code <|im_end|>} and {@code <|endoftext|>}. */
    boolean isEndOfGeneration(int id);

    /** The end-of-sequence id the file declares, or -1. */
    int eosId();
}
